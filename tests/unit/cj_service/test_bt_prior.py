"""Empirical-Bayes prior width: follows the data's spread, collapses on coin tosses."""

import numpy as np

from cj_service.domain.bt import Comparisons, sigmoid
from cj_service.domain.bt_prior import MIN_SD, fit_bt_eb


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
