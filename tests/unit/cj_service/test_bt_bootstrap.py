"""Bootstrap CIs: warm-started replicate refits match full refits; intervals are sane."""

import numpy as np

from cj_service.domain import bt_bootstrap, bt_linalg
from cj_service.domain.bt import Comparisons, fit_bt, prior_precision, sigmoid


def simulate(n=80, m=1200, seed=0):
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, 1.5, n)
    a = rng.integers(0, n, m)
    b = (a + rng.integers(1, n, m)) % n
    y = (rng.random(m) < sigmoid(theta[a] - theta[b] + 0.3)).astype(float)
    return theta, Comparisons.build(a, b, y, n_items=n)


def test_a_replicate_after_three_newton_steps_matches_a_full_refit():
    _, comps = simulate()
    fit = fit_bt(comps)
    x_design = bt_linalg.design_matrix(
        comps.idx_a, comps.idx_b, comps.judge, n_items=comps.n_items, n_judges=1
    )
    prec = prior_precision(comps, prior_sd=fit.prior_sd, beta_prior_sd=1.0)
    xs = bt_bootstrap._replicates(
        comps,
        x_design,
        prec,
        fit.params,
        rng=np.random.default_rng(7),
        count=1,
        steps=3,
        tol=1e-6,
        lapse=0.0,
    )
    draws = np.random.default_rng(7).integers(0, comps.size, size=(1, comps.size))
    refit = fit_bt(comps.reweighted(np.bincount(draws[0], minlength=comps.size).astype(float)))
    theta = xs[: comps.n_items, 0] - xs[: comps.n_items, 0].mean()
    assert np.max(np.abs(theta - refit.scores)) < 0.05
    assert abs(xs[-1, 0] - refit.beta[0]) < 0.01


def test_intervals_bracket_the_estimates_and_track_the_standard_errors():
    theta, comps = simulate(seed=1)
    fit = fit_bt(comps)
    ci = bt_bootstrap.bootstrap_ci(comps, fit, rng=np.random.default_rng(0), rounds=60)
    assert np.all(ci.lower < ci.upper)
    inside = (ci.lower <= fit.scores) & (fit.scores <= ci.upper)
    assert inside.mean() > 0.95
    assert 0.7 < np.median(ci.sd / fit.se) < 1.4
    assert ci.beta_lower[0] < fit.beta[0] < ci.beta_upper[0]
    centred = theta - theta.mean()
    assert np.mean((ci.lower <= centred) & (centred <= ci.upper)) > 0.8
