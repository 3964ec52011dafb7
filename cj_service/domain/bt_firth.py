"""Bias-reduced estimate of the position bias (Firth's adjusted score).

With ~10 comparisons per essay the essay scores are many weakly-determined nuisance
parameters, and the MLE of the bias term inherits their O(1/k) bias (an incidental-parameter
effect); shrinking the scores with a prior instead attenuates it (a logistic coefficient
shrinks when the other effects are under-fitted). Firth's correction removes the first-order
bias: solve sum_c x_c (y_c - p_c + h_c (1/2 - p_c)) = 0, where h_c is comparison c's leverage
w_c p_c q_c x_c' I^-1 x_c, by refitting on the adjusted responses until they settle. Used for
the reported beta and its SE; the scores keep the empirical-Bayes fit. Small batches only
(it needs the full inverse); large batches return the plain weak-prior fit, whose bias
vanishes as comparisons per essay grow.
"""

from __future__ import annotations

import numpy as np

from cj_service.domain import bt_linalg
from cj_service.domain.bt import BTFit, Comparisons, fit_bt, prior_precision, score_terms

FIRTH_PRIOR_SD = 10.0
_ROUNDS = 6


def fit_bias_firth(comps: Comparisons, *, rounds: int = _ROUNDS) -> BTFit:
    fit = fit_bt(comps, prior_sd=FIRTH_PRIOR_SD)
    if comps.n_items + comps.n_judges > bt_linalg.DENSE_MAX:
        return fit
    for _ in range(rounds):
        adjusted = _adjusted(comps, fit)
        fit = fit_bt(adjusted, prior_sd=FIRTH_PRIOR_SD, init=fit.params)
    return fit


def _adjusted(comps: Comparisons, fit: BTFit) -> Comparisons:
    x_design = bt_linalg.design_matrix(
        comps.idx_a, comps.idx_b, comps.judge, n_items=comps.n_items, n_judges=comps.n_judges
    )
    eta = x_design @ fit.params
    _, curv = score_terms(eta, comps.y, comps.weight, 0.0)
    prec = prior_precision(comps, prior_sd=FIRTH_PRIOR_SD, beta_prior_sd=1.0)
    inv = bt_linalg.Solver.for_fit(x_design, curv, prec).inverse()
    a, b, j = comps.idx_a, comps.idx_b, comps.n_items + comps.judge
    quad = inv[a, a] + inv[b, b] + inv[j, j] - 2 * inv[a, b] + 2 * inv[a, j] - 2 * inv[b, j]
    lever = curv * quad
    p = 1.0 / (1.0 + np.exp(-eta))
    y = comps.y + np.divide(
        lever * (0.5 - p), comps.weight, out=np.zeros_like(p), where=comps.weight > 0
    )
    # adjusted responses may leave [0, 1] slightly; the likelihood stays concave in eta
    return Comparisons(a, b, y, comps.weight, comps.judge, comps.n_items, comps.n_judges)
