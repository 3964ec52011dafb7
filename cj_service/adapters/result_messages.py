"""An assessment's final results (service/workflow/results.py) as the cj.v1 message that is stored
with it, served by GetAssessmentResults and published in the result event."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cj_service.domain import bt, grading, intervals
from cj_service.domain.intervals import Z95
from cj_service.service.workflow.results import EssayInfo, FinalResults
from contracts.huleedu.cj.v1 import cj_pb2

CALIBRATION_METHOD = "ordinal_probit_map"


def message(r: FinalResults) -> cj_pb2.GetAssessmentResultsResponse:
    calibration = _calibration(r)
    if r.summary is None:
        return cj_pb2.GetAssessmentResultsResponse(
            essays=_unfitted(r), calibration=calibration, fit=cj_pb2.FitStatistics())
    return cj_pb2.GetAssessmentResultsResponse(
        essays=_essay_results(r),
        calibration=calibration,
        fit=_fit_stats(r),
        judge_models=list(r.judges),
    )


def _fit_stats(r: FinalResults) -> cj_pb2.FitStatistics:
    s, report = r.summary, r.drift
    assert s is not None and report is not None
    low, high = intervals.bias_interval(s.beta, s.beta_se)
    fit = cj_pb2.FitStatistics(
        reliability=s.reliability,
        ssr=s.ssr,
        position_bias=s.beta,
        position_bias_se=s.beta_se,
        log_likelihood=s.log_likelihood,
        comparisons=s.n_comparisons,
        converged=s.converged,
        reliability_se=r.reliability_se,
        position_bias_ci_low=low,
        position_bias_ci_high=high,
    )
    # the position bias per quarter of the verdicts (in the planned order) and its drift
    fit.bias_by_period.extend(cj_pb2.BiasPeriod(
        first_comparison=p.first_comparison, end_comparison=p.end_comparison, a_share=p.a_share,
        position_bias=p.position_bias, position_bias_se=p.position_bias_se)
        for p in report.bias_by_period)
    fit.bias_drift, fit.bias_drift_se = report.bias_drift, report.bias_drift_se
    fit.bias_drift_flagged = report.bias_drift_flagged
    return fit


def _calibration(r: FinalResults) -> cj_pb2.GradeCalibration:
    counts = [cj_pb2.GradeCount(grade=g, count=n) for g, n in r.anchors_per_grade.items()]
    p = r.projection
    if p is None:
        return cj_pb2.GradeCalibration(available=False, reason=r.no_grades,
                                       grade_scale_id=r.grade_scale_id, anchors_per_grade=counts)
    return cj_pb2.GradeCalibration(
        available=True,
        grade_scale_id=r.grade_scale_id,
        method=CALIBRATION_METHOD,
        boundaries=[
            cj_pb2.GradeBoundary(lower_grade=lo, upper_grade=hi, threshold=float(t))
            for lo, hi, t in zip(p.grades, p.grades[1:], p.boundaries, strict=False)
        ],
        anchors_per_grade=counts,
        inversions=[_inversion(inv, r.essays) for inv in p.inversions],
    )


def _inversion(inv: grading.AnchorInversion, essays: Sequence[EssayInfo]) -> cj_pb2.AnchorInversion:
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


def _essay_results(r: FinalResults) -> list[cj_pb2.EssayResult]:
    s, wins = r.summary, r.wins
    assert s is not None and wins is not None
    out = []
    for rank, i in enumerate(np.argsort(-s.scores, kind="stable"), start=1):
        e = r.essays[i]
        result = cj_pb2.EssayResult(
            essay_id=e.essay_id,
            display_name=e.display_name,
            rank=rank,
            score=float(s.scores[i]),
            se=float(s.ses[i]),
            ci_low=float(s.ci_low[i]),
            ci_high=float(s.ci_high[i]),
            comparison_count=int(s.counts[i]),
            wins=int(wins[i]),
            infit=float(s.infit[i]),
            outfit=float(s.outfit[i]),
            is_anchor=e.is_anchor,
            anchor_grade=e.anchor_grade,
            failed_calls=int(r.failed[i]),
        )
        if r.projection is not None:
            _add_grade(result, r.projection, i)
        out.append(result)
    return out


def _add_grade(result: cj_pb2.EssayResult, projection: grading.GradeProjection, i: int) -> None:
    result.grade = projection.primary_grades[i]
    result.grade_confidence = float(projection.confidence[i])
    result.grade_probabilities.extend(
        cj_pb2.GradeProbability(grade=g, probability=float(p))
        for g, p in zip(projection.grades, projection.probabilities[i], strict=True)
    )


def _unfitted(r: FinalResults) -> list[cj_pb2.EssayResult]:
    """Fewer than two essays or no verdicts: every essay at the prior, no projection."""
    sd = bt.DEFAULT_PRIOR_SD
    return [
        cj_pb2.EssayResult(
            essay_id=e.essay_id,
            display_name=e.display_name,
            rank=rank,
            se=sd,
            ci_low=-Z95 * sd,
            ci_high=Z95 * sd,
            infit=1.0,
            outfit=1.0,
            is_anchor=e.is_anchor,
            anchor_grade=e.anchor_grade,
            failed_calls=int(r.failed[rank - 1]),
        )
        for rank, e in enumerate(r.essays, start=1)
    ]
