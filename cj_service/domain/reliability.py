"""Reliability of a Bradley-Terry scale: the usual SSR and honest alternatives.

True reliability is the squared correlation of the estimates with the true qualities.

* SSR (scale separation reliability) = (var(scores) - mean(se^2)) / var(scores), the figure
  CJ tools report. With a weak prior and an adaptive design it is inflated: adaptive pairing
  keeps early lucky winners apart from the field, the spread of the scores grows faster than
  their SEs say, and SSR reads 0.7+ on pure coin tosses (Bramley 2015).
* Empirical-Bayes reliability = var(scores) / tau^2 where the scores are posterior means
  under the prior N(0, tau^2) whose width tau was itself fitted to the data (bt_prior). The
  posterior is valid whatever the design (adaptive choices depend only on observed verdicts,
  so the likelihood is unchanged), and with tau fitted, var(mean) + mean(var) = tau^2 is the
  law of total variance, so var(scores)/tau^2 estimates corr^2(estimate, truth). On coin
  tosses tau collapses and so does this figure. This is the honest figure the stopping rule
  uses.
* Split-half: refit on two random halves of the comparisons, correlate, Spearman-Brown.
  Offered as a cross-check; it is biased low (each half is a sparser, noisier design).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cj_service.domain.bt import BTFit, Comparisons


@dataclass(frozen=True)
class Reliability:
    ssr: float
    honest: float
    method: str


def ssr(fit: BTFit) -> float:
    """Scale separation reliability, clipped to [0, 1]."""
    total = float(np.var(fit.scores))
    if total <= 0.0:
        return 0.0
    return float(np.clip((total - float(np.mean(fit.se**2))) / total, 0.0, 1.0))


def eb_reliability(fit: BTFit) -> float:
    """var(posterior means) / tau^2 for a fit whose prior sd tau was fitted (fit_bt_eb)."""
    tau2 = float(np.mean(fit.scores**2 + fit.se**2))
    if tau2 <= 0.0:
        return 0.0
    return float(np.clip(np.mean(fit.scores**2) / tau2, 0.0, 1.0))


def split_half(
    comps: Comparisons,
    *,
    rng: np.random.Generator,
    fitter: Callable[[Comparisons], BTFit],
) -> float:
    """Spearman-Brown corrected correlation of fits on two random halves of the comparisons."""
    if comps.size < 4:
        return 0.0
    half = rng.permutation(comps.size) < comps.size // 2
    fits = [fitter(comps.reweighted(comps.weight * mask)) for mask in (half, ~half)]
    r = float(np.corrcoef(fits[0].scores, fits[1].scores)[0, 1])
    if not np.isfinite(r) or r <= 0.0:
        return 0.0
    return 2.0 * r / (1.0 + r)


def split_half_reliability(scores_a: np.ndarray, scores_b: np.ndarray) -> float:
    """Spearman-Brown corrected correlation of two independent half-designs' scores."""
    r = float(np.corrcoef(scores_a, scores_b)[0, 1])
    if not np.isfinite(r) or r <= 0.0:
        return 0.0
    return 2.0 * r / (1.0 + r)


def assess(fit_eb: BTFit) -> Reliability:
    """The pair reported for a batch: naive SSR and the honest empirical-Bayes figure."""
    return Reliability(ssr=ssr(fit_eb), honest=eb_reliability(fit_eb), method="empirical_bayes")
