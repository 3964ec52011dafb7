"""Soft verdicts: a judge's P(A) is worth more than a coin flip, by its dispersion."""

import numpy as np

from cj_service.domain.bt import Comparisons, fit_bt, sigmoid
from cj_service.domain.soft import soft_dispersion, weighted_for_dispersion


def judged(soft_noise, *, n=80, m=1600, seed=0):
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, 1.5, n)
    a = rng.integers(0, n, m)
    b = (a + rng.integers(1, n, m)) % n
    p_a = sigmoid(theta[a] - theta[b] + rng.normal(0, soft_noise, m))
    return Comparisons.build(a, b, p_a, n_items=n)


def test_a_confident_judge_has_a_small_dispersion_and_a_noisy_one_a_larger():
    quiet, loud = judged(0.5), judged(2.0)
    phi_quiet = soft_dispersion(quiet, fit_bt(quiet))
    phi_loud = soft_dispersion(loud, fit_bt(loud))
    assert phi_quiet < 0.2
    assert phi_quiet < phi_loud < 1.0


def test_hard_verdicts_keep_unit_weight():
    comps = Comparisons.build([0, 1, 2] * 5, [1, 2, 0] * 5, [1.0, 0.0, 1.0] * 5, n_items=3)
    assert soft_dispersion(comps, fit_bt(comps)) == 1.0


def test_reweighting_shrinks_the_standard_errors_but_keeps_the_ranking():
    comps = judged(0.5, seed=1)
    plain = fit_bt(comps)
    phi = soft_dispersion(comps, plain)
    weighted = fit_bt(weighted_for_dispersion(comps, phi))
    assert np.median(weighted.se / plain.se) < 0.6
    assert np.corrcoef(weighted.scores, plain.scores)[0, 1] > 0.99
