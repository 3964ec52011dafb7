"""Grade projection: anchors of known grade place grade boundaries on the BT logit scale, and
every essay (anchors included) gets a probability per grade from its score uncertainty.

Boundaries come from the cumulative-probit model in `ordinal` (MAP, population priors as the
prior, anchor SEs in the likelihood). For an essay with score y and standard error se,
    P(grade k) = E_tau[ Phi((tau[k] - y) / se) - Phi((tau[k-1] - y) / se) ],
the expectation running over the Laplace posterior of the boundaries (antithetic draws), so
both score and boundary uncertainty show up in the probabilities. Primary grade = the median
of that distribution (the lowest grade whose cumulative probability reaches 1/2): the Bayes
choice when the cost of a wrong grade grows with its distance. The argmax (0-1 loss) drifts
towards the unbounded outer grades for an uncertain essay -- their intervals soak up the
tails of its score distribution -- and in the issue-10 bench it lost 0.014-0.024 within-one
agreement for no gain in exact agreement (the median's exact agreement was 0.003 higher).

Below-lowest grade (scales that have one, e.g. "F" or "0"): it is one more ordinal category
under the lowest listed grade, with population share `below_lowest_prior` (the listed priors
are rescaled by 1 - that share). Its boundary is fitted like the others: anchors of the lowest
listed grade must sit above it, anchors graded below-lowest (if any) below it, and otherwise the
population share places it in the batch's lower tail. An essay gets it only when its score is
credibly below where the lowest grade's anchors and the prior put that grade's band.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cj_service.domain.grade_scales import GradeScale, is_valid_grade
from cj_service.domain.ordinal import (
    ThresholdFit,
    ThresholdPrior,
    fit_thresholds,
    interval_probs,
)

NO_PROJECTION_REASON = "fewer than 2 distinct anchor grades"
_MIN_SE = 1e-6
_DRAW_PAIRS = 128


@dataclass(frozen=True)
class AnchorConflict:
    """An anchor of another grade on the wrong side; z = score reversal in combined-SE units."""

    index: int
    grade: str
    score: float
    z: float


@dataclass(frozen=True)
class AnchorInversion:
    """An anchor out of order with anchors of other grades, with the evidence."""

    index: int
    grade: str
    score: float
    se: float
    expected_interval: tuple[float, float]
    conflicts: tuple[AnchorConflict, ...]


@dataclass(frozen=True, eq=False)
class GradeProjection:
    """Result of project_grades; per-essay arrays follow the order of the input scores.

    grades: labels lowest first (below-lowest grade first when the scale has one);
    boundaries / boundary_ses: len(grades) - 1 thresholds on the BT logit scale and their SDs;
    probabilities: (n, len(grades)), rows sum to 1; confidence: probability of the primary
    grade; within_one: probability of the primary grade or a neighbour; entropy: normalised
    to [0, 1] (0 = one certain grade). When not available, per-essay fields are empty.
    """

    available: bool
    reason: str
    grades: list[str]
    boundaries: np.ndarray
    boundary_ses: np.ndarray
    probabilities: np.ndarray
    primary_grades: list[str]
    confidence: np.ndarray
    within_one: np.ndarray
    entropy: np.ndarray
    anchors_per_grade: dict[str, int]
    inversions: list[AnchorInversion]


def project_grades(
    scores: np.ndarray,
    ses: np.ndarray,
    *,
    anchor_index: np.ndarray,
    anchor_grades: Sequence[str],
    scale: GradeScale,
    below_lowest_prior: float = 0.02,
    anchor_sd_fraction: float = 0.2,
    boundary_uncertainty: bool = True,
    rng: np.random.Generator | None = None,
) -> GradeProjection:
    """Project grades for all essays. `anchor_index[i]` is the position (in `scores`) of the
    anchor whose expert grade is `anchor_grades[i]`. `anchor_sd_fraction` * batch spread is the
    assumed noise of an expert's anchor grade. `rng` only drives the boundary draws; None uses
    a fixed seed so the same inputs always give the same projection.
    """
    y, raw_se, idx = _validated(scores, ses, anchor_index, anchor_grades, scale)
    se = shrunk_scale_se(y, raw_se)
    labels = list(scale.labels)
    cats = np.array([labels.index(g) for g in anchor_grades], dtype=int)
    counts = {g: int(np.sum(cats == k)) for k, g in enumerate(labels)}
    if np.unique(cats).size < 2:
        return _unavailable(labels, counts, y.size)
    prior = ThresholdPrior.from_batch(y, se, priors=_model_priors(scale, below_lowest_prior))
    fit = fit_thresholds(
        y[idx], se[idx], cats, prior=prior, anchor_sd=anchor_sd_fraction * prior.scale
    )
    probs = _probabilities(fit, y, se, boundary_uncertainty, rng)
    primary = median_grade(probs)
    return GradeProjection(
        available=True,
        reason="",
        grades=labels,
        boundaries=fit.thresholds,
        boundary_ses=fit.threshold_sd(),
        probabilities=probs,
        primary_grades=[labels[k] for k in primary],
        confidence=probs[np.arange(y.size), primary],
        within_one=_within_one(probs, primary),
        entropy=_normalised_entropy(probs),
        anchors_per_grade=counts,
        inversions=find_inversions(y, raw_se, idx, cats, labels=labels, boundaries=fit.thresholds),
    )


def shrunk_scale_se(scores: np.ndarray, ses: np.ndarray) -> np.ndarray:
    """The error of a posterior-mean score on its own (shrunk) scale: sqrt(1 - se^2 / tau^2) se.

    Boundaries are placed where the anchors' *scores* sit, and a score is its essay's truth
    shrunk by s = 1 - se^2 / tau^2 plus s times the sampling error, so on that scale an
    essay's distance to a boundary is off by sqrt(s) se, not the posterior sd se (which
    left mean P(primary) ~0.05 below exact agreement; docs/statistics.md section 9). tau^2 is
    read from the scores themselves, var(scores) + mean(se^2); s is floored at 1/4."""
    tau2 = float(np.var(scores) + np.mean(ses**2)) if scores.size > 1 else 0.0
    if tau2 <= 0.0:
        return ses
    return ses * np.sqrt(np.clip(1.0 - ses**2 / tau2, 0.25, 1.0))


def find_inversions(
    scores: np.ndarray,
    ses: np.ndarray,
    anchor_index: np.ndarray,
    categories: np.ndarray,
    *,
    labels: Sequence[str],
    boundaries: np.ndarray,
) -> list[AnchorInversion]:
    """Anchors whose score is below an anchor of a lower grade or above one of a higher grade."""
    full = np.concatenate([[-np.inf], boundaries, [np.inf]])
    out = []
    for j, (pos, cat) in enumerate(zip(anchor_index, categories, strict=True)):
        conflicts = _conflicts(j, scores, ses, anchor_index, categories, labels)
        if conflicts:
            out.append(
                AnchorInversion(
                    index=int(pos),
                    grade=labels[cat],
                    score=float(scores[pos]),
                    se=float(ses[pos]),
                    expected_interval=(float(full[cat]), float(full[cat + 1])),
                    conflicts=conflicts,
                )
            )
    return out


def _conflicts(
    j: int, y: np.ndarray, se: np.ndarray, idx: np.ndarray, cats: np.ndarray, labels: Sequence[str]
) -> tuple[AnchorConflict, ...]:
    me, cat = idx[j], cats[j]
    found = []
    for pos, other in zip(idx, cats, strict=True):
        gap = (y[me] - y[pos]) * np.sign(cat - other)  # negative when the pair is reversed
        if other != cat and gap < 0:
            z = float(-gap / np.hypot(se[me], se[pos]))
            found.append(AnchorConflict(int(pos), labels[other], float(y[pos]), z))
    return tuple(found)


def _model_priors(scale: GradeScale, below_lowest_prior: float) -> np.ndarray:
    listed = np.asarray(scale.priors, dtype=float)
    if scale.below_lowest_grade is None:
        return listed
    if not 0.0 < below_lowest_prior < 1.0:
        raise ValueError("below_lowest_prior must be in (0, 1)")
    return np.concatenate([[below_lowest_prior], (1.0 - below_lowest_prior) * listed])


def _probabilities(
    fit: ThresholdFit,
    y: np.ndarray,
    se: np.ndarray,
    boundary_uncertainty: bool,
    rng: np.random.Generator | None,
) -> np.ndarray:
    if not boundary_uncertainty:
        return interval_probs(fit.thresholds, y, se)
    draws = fit.draws(_DRAW_PAIRS, rng if rng is not None else np.random.default_rng(0))
    per_draw = interval_probs(draws[None, :, :], y[:, None], se[:, None])
    probs = np.clip(per_draw.mean(axis=1), 0.0, None)
    return probs / probs.sum(axis=1, keepdims=True)


def median_grade(probs: np.ndarray) -> np.ndarray:
    """Index of each row's median grade: the first whose cumulative probability reaches 1/2
    (a small tolerance so rounding cannot push an exact half to the next grade)."""
    return np.argmax(np.cumsum(probs, axis=1) >= 0.5 - 1e-9, axis=1)


def _within_one(probs: np.ndarray, primary: np.ndarray) -> np.ndarray:
    cols = np.arange(probs.shape[1])
    near = np.abs(cols[None, :] - primary[:, None]) <= 1
    return np.sum(probs * near, axis=1)


def _normalised_entropy(probs: np.ndarray) -> np.ndarray:
    """0 = certain of one grade, 1 = uniform over all grades."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(probs > 0, probs * np.log(probs), 0.0)
    return -terms.sum(axis=1) / np.log(probs.shape[1])


def _unavailable(labels: list[str], counts: dict[str, int], n: int) -> GradeProjection:
    return GradeProjection(
        available=False,
        reason=NO_PROJECTION_REASON,
        grades=labels,
        boundaries=np.empty(0),
        boundary_ses=np.empty(0),
        probabilities=np.empty((n, 0)),
        primary_grades=[],
        confidence=np.empty(0),
        within_one=np.empty(0),
        entropy=np.empty(0),
        anchors_per_grade=counts,
        inversions=[],
    )


def _validated(
    scores: np.ndarray,
    ses: np.ndarray,
    anchor_index: np.ndarray,
    anchor_grades: Sequence[str],
    scale: GradeScale,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(scores, dtype=float)
    se = np.asarray(ses, dtype=float)
    idx = np.asarray(anchor_index, dtype=int).reshape(-1)
    if y.ndim != 1 or se.shape != y.shape:
        raise ValueError("scores and ses must be 1-D arrays of the same length")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(se)) and np.all(se >= 0)):
        raise ValueError("scores must be finite and ses finite and non-negative")
    if idx.size != len(anchor_grades):
        raise ValueError("anchor_index and anchor_grades must have the same length")
    if idx.size and (idx.min() < 0 or idx.max() >= y.size or np.unique(idx).size != idx.size):
        raise ValueError("anchor_index must hold distinct positions within scores")
    bad = sorted({g for g in anchor_grades if not is_valid_grade(scale, g)})
    if bad:
        raise ValueError(f"grades {bad} are not on scale {scale.id!r}")
    return y, np.maximum(se, _MIN_SE), idx
