"""Bias-reduced position bias: unbiased where the flat-prior MLE overshoots."""

import numpy as np

from cj_service.domain.bt import Comparisons, fit_bt, sigmoid
from cj_service.domain.bt_firth import FIRTH_PRIOR_SD, fit_bias_firth


def comparisons(seed, *, n=100, per_essay=8, beta=0.4):
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, 2.0, n)
    m = n * per_essay // 2
    a = rng.integers(0, n, m)
    b = (a + rng.integers(1, n, m)) % n
    y = (rng.random(m) < sigmoid(theta[a] - theta[b] + beta)).astype(float)
    return Comparisons.build(a, b, y, n_items=n)


def test_firth_beta_is_closer_to_the_truth_than_the_flat_prior_mle_on_average():
    firth, flat, cover = [], [], []
    for seed in range(12):
        comps = comparisons(seed)
        fit = fit_bias_firth(comps)
        firth.append(fit.beta[0])
        flat.append(fit_bt(comps, prior_sd=FIRTH_PRIOR_SD).beta[0])
        cover.append(abs(fit.beta[0] - 0.4) < 1.96 * fit.beta_se[0])
    assert abs(np.mean(firth) - 0.4) < abs(np.mean(flat) - 0.4)
    assert abs(np.mean(firth) - 0.4) < 0.05
    assert np.mean(cover) >= 0.75
