"""95% intervals for the reported scores and the position bias: Laplace (posterior) intervals
centred on the point estimate, estimate +- 1.96 SE, so every interval contains its estimate
and the SE reported is the one it is built from.

The SE is the posterior sd under a prior `INTERVAL_PRIOR_FACTOR` times wider than the fit's
empirical-Bayes one (same curvature, the fit's mode): the Laplace evidence reads tau ~0.8 of
the true spread (binary verdicts), and even at the true tau the Gaussian approximation and a
judge that is not exactly logistic (probit noise, lapses) leave the plain posterior
intervals at ~0.90 coverage. The prior still pulls an essay the data say little about (few
or one-sided comparisons, the batch's extremes) towards 0, and the wider fit only halves that
pull, so the interval's outer side also reaches `PULL_EXTRAPOLATION` times the wider fit's
shift further out -- where a flatter prior would put the essay -- and nowhere else. Measured
by bench/coverage_bench.py; docs/statistics.md section 9 says why this replaced the
warm-started bootstrap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cj_service.domain import design
from cj_service.domain.bt import BTFit, Comparisons

Z95 = 1.959963984540054
INTERVAL_PRIOR_FACTOR = 2.0
PULL_EXTRAPOLATION = 0.75


@dataclass(frozen=True)
class ScoreIntervals:
    low: np.ndarray
    high: np.ndarray
    se: np.ndarray  # the SE the interval is built from (report this one)


def score_intervals(
    comps: Comparisons,
    fit: BTFit,
    *,
    z: float = Z95,
    factor: float = INTERVAL_PRIOR_FACTOR,
    pull: float = PULL_EXTRAPOLATION,
) -> ScoreIntervals:
    """comps: the batch's verdicts as judged (the service's fit is design.fit_scores).

    The interval is the hull of estimate +- z SE under the fit's prior, under the wider one
    (centred on the wider fit's mode, which shrinks extreme essays less), and of the wider
    fit's interval moved `pull` times its shift from the estimate further out (the prior's
    pull on that essay, extrapolated); so it always holds the estimate, and the SE reported
    is its half-width over z."""
    wide = widened_fit(comps, fit, factor)
    flat = wide.scores + pull * (wide.scores - fit.scores)
    centres = np.stack([fit.scores, wide.scores, flat])
    ses = np.stack([fit.se, wide.se, wide.se])
    low, high = np.min(centres - z * ses, axis=0), np.max(centres + z * ses, axis=0)
    return ScoreIntervals(low, high, (high - low) / (2.0 * z))


def widened_fit(comps: Comparisons, fit: BTFit, factor: float) -> BTFit:
    """The same model refitted under a prior sd factor * fit.prior_sd."""
    return design.refit_at(comps, fit, factor * fit.prior_sd)


def bias_interval(beta: float, se: float, *, z: float = Z95) -> tuple[float, float]:
    """The position bias's interval: its (Firth) estimate +- z SE."""
    return beta - z * se, beta + z * se
