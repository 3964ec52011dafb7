"""Soft verdicts: how much one P(A) from logprobs is worth relative to a hard verdict.

The BT likelihood takes a soft verdict y = P(A) as a fractional outcome, i.e. a quasi-
likelihood whose variance function p(1 - p) is that of a coin flip. A judge's P(A) varies
far less than a coin flip around its mean, so each soft verdict carries more information
than its unit weight says. We estimate the dispersion phi = mean Pearson residual^2 of the
soft verdicts, (y - p)^2 / (p (1 - p)), and give soft verdicts weight 1/phi: the standard
quasi-likelihood correction. Scores move little, but SEs, the empirical-Bayes prior width,
the pair selector's information estimate and the reliability become right for the judge.
Hard verdicts keep phi = 1 (a Bernoulli outcome's Pearson residuals average 1 by
definition).
"""

from __future__ import annotations

import numpy as np

from cj_service.domain.bt import BTFit, Comparisons, linear_predictor, win_probability

MIN_PHI = 0.02
_MIN_PQ = 0.05
_HUBER_K = 2.0


def is_soft(y: np.ndarray) -> np.ndarray:
    return (y > 0.0) & (y < 1.0)


def soft_dispersion(comps: Comparisons, fit: BTFit) -> float:
    """Pearson dispersion of the soft verdicts under `fit` (1.0 when there are none)."""
    return pearson_dispersion(comps.y, _p(comps, fit), n_items=comps.n_items)


def pearson_dispersion(y: np.ndarray, p: np.ndarray, *, n_items: int) -> float:
    """Pearson dispersion of the soft verdicts among `y` around the model's P(A) `p` (1.0
    with fewer than 10 soft ones), corrected for the scores fitted to them."""
    soft = is_soft(y)
    if soft.sum() < 10:
        return 1.0
    r2 = (y[soft] - p[soft]) ** 2 / np.maximum(p[soft] * (1.0 - p[soft]), 1e-9)
    dof = max(1.0 - n_items / max(y.size, 1), 0.1)  # fitted scores absorb some
    return float(np.clip(np.mean(r2) / dof, MIN_PHI, 1.0))


def weighted_for_dispersion(comps: Comparisons, phi: float) -> Comparisons:
    """Same comparisons with each soft verdict's weight divided by phi."""
    scale = np.where(is_soft(comps.y), 1.0 / phi, 1.0)
    return comps.reweighted(comps.weight * scale)


def logit_dispersion(comps: Comparisons, fit: BTFit) -> float:
    """Dispersion phi2 of the soft verdicts on the logit scale: Var(P(A)) = phi2 (p q)^2."""
    soft = is_soft(comps.y)
    if soft.sum() < 10:
        return 1.0
    p = _p(comps, fit)[soft]
    pq = np.maximum(p * (1.0 - p), _MIN_PQ)
    dof = max(1.0 - comps.n_items / max(comps.size, 1), 0.1)
    return float(max(np.mean((comps.y[soft] - p) ** 2 / pq**2) / dof, MIN_PHI))


def efficient_weights(comps: Comparisons, fit: BTFit) -> np.ndarray:
    """Weights that turn the fractional-Bernoulli likelihood into the efficient estimator
    for logit-normal soft verdicts (variance phi2 (p q)^2): w = 1 / (phi2 p q), evaluated
    at `fit` -- iterate with refits (IRLS). Each soft verdict then carries 1/phi2 units of
    information whatever the pair's closeness; hard verdicts keep their weights."""
    p = _p(comps, fit)
    pq = np.maximum(p * (1.0 - p), _MIN_PQ)
    phi2 = logit_dispersion(comps, fit)
    # Huber: a verdict far off its prediction (a lapse) keeps only bounded influence
    z = np.abs(comps.y - p) / (np.sqrt(phi2) * pq)
    huber = np.minimum(1.0, _HUBER_K / np.maximum(z, 1e-12))
    scale = np.where(is_soft(comps.y), huber / (phi2 * pq), 1.0)
    return comps.weight * scale


def _p(comps: Comparisons, fit: BTFit) -> np.ndarray:
    return win_probability(linear_predictor(comps, fit), fit.lapse)
