"""Empirical-Bayes prior width: follows the data's spread, collapses on coin tosses."""

import numpy as np
import pytest

from cj_service.domain import bt_linalg
from cj_service.domain.bt import Comparisons, log_evidence, sigmoid
from cj_service.domain.bt_prior import MIN_SD, fit_bt_eb, fit_bt_evidence


def comparisons(sigma, *, coin=False, n=150, m=6000, seed=0):
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, sigma, n)
    a = rng.integers(0, n, m)
    b = (a + rng.integers(1, n, m)) % n
    p = np.full(m, 0.5) if coin else sigmoid(theta[a] - theta[b])
    return Comparisons.build(a, b, (rng.random(m) < p).astype(float), n_items=n)


def test_the_fitted_prior_width_grows_with_the_true_spread():
    narrow = fit_bt_eb(comparisons(1.0))
    wide = fit_bt_eb(comparisons(3.0))
    assert 0.6 < narrow.prior_sd < 1.3
    assert wide.prior_sd > 2.0 * narrow.prior_sd


def test_the_fitted_prior_collapses_on_coin_tosses():
    fit = fit_bt_eb(comparisons(1.0, coin=True))
    assert fit.prior_sd < 0.3
    assert fit.prior_sd >= MIN_SD
    assert np.all(fit.se > 0)


def sparse_comparisons(sigma, *, coin=False, n=200, k=10, seed=1):
    """k comparisons per essay, random pairs: the sparse regime a batch is in."""
    return comparisons(sigma, coin=coin, n=n, m=n * k // 2, seed=seed)


def test_the_evidence_prior_width_tracks_the_true_spread_where_the_fixed_point_falls_short():
    for sigma in (1.5, 3.0):
        widths = [fit_bt_evidence(sparse_comparisons(sigma, seed=s)).prior_sd for s in range(4)]
        fixed_point = [fit_bt_eb(sparse_comparisons(sigma, seed=s)).prior_sd for s in range(4)]
        assert 0.7 * sigma < np.mean(widths) < 1.2 * sigma
        assert np.mean(widths) > np.mean(fixed_point) + 0.1 * sigma


def test_the_evidence_prior_width_is_the_evidence_maximum():
    comps = sparse_comparisons(1.5)
    fit = fit_bt_evidence(comps)
    best = log_evidence(comps, prior_sd=fit.prior_sd)[0]
    for factor in (0.8, 1.25):
        assert log_evidence(comps, prior_sd=factor * fit.prior_sd)[0] < best


def test_the_evidence_prior_width_collapses_on_coin_tosses():
    fits = [fit_bt_evidence(sparse_comparisons(1.0, coin=True, seed=s)) for s in range(3)]
    assert np.mean([f.prior_sd for f in fits]) < 0.3  # single seeds 0.1-0.25
    assert all(f.prior_sd >= MIN_SD and np.all(f.se > 0) for f in fits)


def test_a_batch_too_large_for_a_dense_factor_falls_back_to_the_fixed_point(monkeypatch):
    comps = sparse_comparisons(1.5, n=60)
    monkeypatch.setattr(bt_linalg, "DENSE_MAX", 20)  # 60 essays now count as large
    fit = fit_bt_evidence(comps)
    assert fit.cov is None  # the sparse path: no dense covariance, no log det
    assert fit.prior_sd == pytest.approx(fit_bt_eb(comps).prior_sd)
