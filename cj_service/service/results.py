"""The final result of a batch: ranks, scores with SE and CI, fit statistics, grades.

Pure assembly of domain outputs into cj.v1 messages; finish.py runs it off the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cj_service.domain import bt, drift, grade_scales, grading, intervals
from cj_service.domain.intervals import Z95
from cj_service.domain.reliability import split_half_se
from cj_service.service import statistics
from contracts.huleedu.cj.v1 import cj_pb2

NO_VERDICTS = "no verdicts to fit"
CALIBRATION_METHOD = "ordinal_probit_map"


@dataclass(frozen=True)
class EssayInfo:
    essay_id: str
    display_name: str
    is_anchor: bool
    anchor_grade: str


def compute(
    essays: Sequence[EssayInfo],
    judged: Sequence,
    *,
    grade_scale_id: str,
    seed: int,
    unfitted_reason: str = NO_VERDICTS,
    failed: Sequence[tuple[int, int]] = (),
) -> cj_pb2.GetAssessmentResultsResponse:
    """Final fit (bias, soft labels), 95% intervals, bias drift, grades -> results message.

    failed: (idx_a, idx_b) of every call that ended in an error, for each essay's count."""
    rng = np.random.default_rng([seed, 0xF17A1])
    n = len(essays)
    fails = _failed_counts(failed, n)
    if not judged or n < 2:
        return _unfitted(essays, grade_scale_id, fails, reason=unfitted_reason)
    v = statistics.verdicts(n, judged)
    summary = statistics.fit(v)
    projection, calibration = _grades(essays, summary, grade_scale_id, rng=rng)
    fit = _fit_stats(summary)
    _add_drift(fit, v, summary)
    return cj_pb2.GetAssessmentResultsResponse(
        essays=_essay_results(essays, summary, v.wins, summary.ci_low, summary.ci_high,
                              projection, fails),
        calibration=calibration,
        fit=fit,
        judge_models=list(v.judges),
    )


def _failed_counts(failed: Sequence[tuple[int, int]], n: int) -> np.ndarray:
    """Failed calls per essay from the (idx_a, idx_b) of each."""
    ends = np.array(failed, dtype=np.int64).reshape(-1)
    return np.bincount(ends, minlength=n)


def _add_drift(fit: cj_pb2.FitStatistics, v: statistics.Verdicts,
               s: statistics.FitSummary) -> None:
    """The position bias per quarter of the verdicts (in the order they were planned) and its
    drift across the batch (domain/drift.py)."""
    c = v.comps
    report = drift.bias_drift(c.idx_a, c.idx_b, c.y, None, s.scores, prior_sd=s.prior_sd)
    fit.bias_by_period.extend(cj_pb2.BiasPeriod(
        first_comparison=p.first_comparison, end_comparison=p.end_comparison, a_share=p.a_share,
        position_bias=p.position_bias, position_bias_se=p.position_bias_se)
        for p in report.bias_by_period)
    fit.bias_drift, fit.bias_drift_se = report.bias_drift, report.bias_drift_se
    fit.bias_drift_flagged = report.bias_drift_flagged


def _fit_stats(s: statistics.FitSummary) -> cj_pb2.FitStatistics:
    low, high = intervals.bias_interval(s.beta, s.beta_se)
    return cj_pb2.FitStatistics(
        reliability=s.reliability,
        ssr=s.ssr,
        position_bias=s.beta,
        position_bias_se=s.beta_se,
        log_likelihood=s.log_likelihood,
        comparisons=s.n_comparisons,
        converged=s.converged,
        reliability_se=split_half_se(s.reliability, int(s.scores.size)),
        position_bias_ci_low=low,
        position_bias_ci_high=high,
    )


def _grades(essays, s, scale_id: str, *, rng):
    anchors = [i for i, e in enumerate(essays) if e.is_anchor and e.anchor_grade]
    if not scale_id:
        return None, _no_calibration("no grade scale (no assignment or grade_scale_id)", "")
    scale = grade_scales.get_scale(scale_id)
    projection = grading.project_grades(
        s.scores,
        s.fit.se,  # the posterior sd (the interval's wider se underweights grade certainty)
        anchor_index=np.array(anchors, dtype=int),
        anchor_grades=[essays[i].anchor_grade for i in anchors],
        scale=scale,
        rng=rng,
    )
    counts = [
        cj_pb2.GradeCount(grade=g, count=n) for g, n in projection.anchors_per_grade.items() if n
    ]
    if not projection.available:
        return None, _no_calibration(projection.reason, scale_id, counts)
    return projection, cj_pb2.GradeCalibration(
        available=True,
        grade_scale_id=scale_id,
        method=CALIBRATION_METHOD,
        boundaries=[
            cj_pb2.GradeBoundary(lower_grade=lo, upper_grade=hi, threshold=float(t))
            for lo, hi, t in zip(
                projection.grades, projection.grades[1:], projection.boundaries, strict=False
            )
        ],
        anchors_per_grade=counts,
        inversions=[_inversion(inv, essays) for inv in projection.inversions],
    )


def _no_calibration(reason: str, scale_id: str, counts=()) -> cj_pb2.GradeCalibration:
    return cj_pb2.GradeCalibration(
        available=False, reason=reason, grade_scale_id=scale_id, anchors_per_grade=list(counts)
    )


def _inversion(inv: grading.AnchorInversion, essays) -> cj_pb2.AnchorInversion:
    evidence = "; ".join(
        f"scores {'below' if c.score > inv.score else 'above'} anchor "
        f"{essays[c.index].essay_id} (grade {c.grade}, score {c.score:.2f}, z={c.z:.1f})"
        for c in inv.conflicts
    )
    low, high = inv.expected_interval
    return cj_pb2.AnchorInversion(
        essay_id=essays[inv.index].essay_id,
        grade=inv.grade,
        score=inv.score,
        expected_low=low,
        expected_high=high,
        evidence=evidence,
    )


def _essay_results(essays, s, wins, low, high, projection, fails) -> list[cj_pb2.EssayResult]:
    order = np.argsort(-s.scores, kind="stable")
    out = []
    for rank, i in enumerate(order, start=1):
        e = essays[i]
        result = cj_pb2.EssayResult(
            essay_id=e.essay_id,
            display_name=e.display_name,
            rank=rank,
            score=float(s.scores[i]),
            se=float(s.ses[i]),
            ci_low=float(low[i]),
            ci_high=float(high[i]),
            comparison_count=int(s.counts[i]),
            wins=int(wins[i]),
            infit=float(s.infit[i]),
            outfit=float(s.outfit[i]),
            is_anchor=e.is_anchor,
            anchor_grade=e.anchor_grade,
            failed_calls=int(fails[i]),
        )
        if projection is not None:
            _add_grade(result, projection, i)
        out.append(result)
    return out


def _add_grade(result: cj_pb2.EssayResult, projection: grading.GradeProjection, i: int) -> None:
    result.grade = projection.primary_grades[i]
    result.grade_confidence = float(projection.confidence[i])
    result.grade_probabilities.extend(
        cj_pb2.GradeProbability(grade=g, probability=float(p))
        for g, p in zip(projection.grades, projection.probabilities[i], strict=True)
    )


def _unfitted(essays, scale_id: str, fails, *, reason: str) -> cj_pb2.GetAssessmentResultsResponse:
    """Fewer than two essays or no verdicts: every essay at the prior, no projection."""
    sd = bt.DEFAULT_PRIOR_SD
    return cj_pb2.GetAssessmentResultsResponse(
        essays=[
            cj_pb2.EssayResult(
                essay_id=e.essay_id,
                display_name=e.display_name,
                rank=r,
                se=sd,
                ci_low=-Z95 * sd,
                ci_high=Z95 * sd,
                infit=1.0,
                outfit=1.0,
                is_anchor=e.is_anchor,
                anchor_grade=e.anchor_grade,
                failed_calls=int(fails[r - 1]),
            )
            for r, e in enumerate(essays, start=1)
        ],
        calibration=_no_calibration(reason, scale_id),
        fit=cj_pb2.FitStatistics(),
    )
