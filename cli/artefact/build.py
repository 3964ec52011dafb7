"""The JSON artefact of one batch, as plain data (validated before it is written)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from cli.flows.collect import RunData
from cli.render.table import is_simulated
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.llm.v1 import llm_pb2

SCHEMA_ID = "https://huleedu.dev/schemas/cj-run-artefact/1"


def iso(ts: Timestamp) -> str | None:
    if not ts.seconds and not ts.nanos:
        return None
    return ts.ToDatetime(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")


def _enum(enum: Any, value: int, prefix: str) -> str:
    return enum.Name(value).removeprefix(prefix).lower()


def batch_section(a: cj_pb2.Assessment) -> dict[str, Any]:
    p = a.progress
    return {
        "batch_id": a.assessment_id,
        "state": _enum(cj_pb2.AssessmentState, a.state, "ASSESSMENT_STATE_"),
        "completion_reason": _enum(
            cj_pb2.CompletionReason, a.completion_reason, "COMPLETION_REASON_"),
        "failure_reason": _enum(cj_pb2.FailureReason, a.failure_reason, "FAILURE_REASON_"),
        "detail": a.detail, "assignment_id": a.assignment_id, "grade_scale_id": a.grade_scale_id,
        "judge": f"{a.judge.provider}/{a.judge.model}", "judge_simulated": is_simulated(a),
        "essay_count": a.essay_count,
        "anchor_count": a.anchor_count, "correlation_id": a.correlation_id,
        "created_at": iso(a.created_at), "finished_at": iso(a.finished_at),
        "budget": p.budget, "target_reliability": p.target_reliability,
        "metadata": dict(sorted(a.metadata.items())),
        "warnings": list(a.warnings),
        "failed_attempts": dict(sorted(p.failed_attempts.items())),
        "probability_a_dropped": p.probability_a_dropped,
    }


def essay_entry(e: cj_pb2.EssayResult) -> dict[str, Any]:
    return {
        "essay_id": e.essay_id, "display_name": e.display_name, "rank": e.rank,
        "score": e.score, "se": e.se, "ci_low": e.ci_low, "ci_high": e.ci_high,
        "comparisons": e.comparison_count, "wins": e.wins, "infit": e.infit, "outfit": e.outfit,
        "is_anchor": e.is_anchor, "anchor_grade": e.anchor_grade or None, "grade": e.grade or None,
        "grade_confidence": e.grade_confidence if e.grade else None,
        "grade_probabilities": {gp.grade: gp.probability for gp in e.grade_probabilities},
    }


def bt_section(res: cj_pb2.GetAssessmentResultsResponse) -> dict[str, Any]:
    f = res.fit
    return {
        "essays": [essay_entry(e) for e in res.essays],
        "fit": {"reliability": f.reliability, "reliability_se": _finite(f.reliability_se),
                "ssr": f.ssr, "position_bias": f.position_bias,
                "position_bias_se": f.position_bias_se, "log_likelihood": f.log_likelihood,
                "comparisons": f.comparisons, "converged": f.converged,
                "position_bias_ci": [f.position_bias_ci_low, f.position_bias_ci_high],
                "bias_by_period": [_period(p) for p in f.bias_by_period],
                "bias_drift": f.bias_drift, "bias_drift_se": _finite(f.bias_drift_se),
                "bias_drift_flagged": f.bias_drift_flagged},
        "history": [{"comparisons": h.comparisons, "reliability": h.reliability, "ssr": h.ssr,
                     "position_bias": h.position_bias, "created_at": iso(h.created_at)}
                    for h in res.history],
    }


def _period(p: cj_pb2.BiasPeriod) -> dict[str, Any]:
    return {"first_comparison": p.first_comparison, "end_comparison": p.end_comparison,
            "a_share": p.a_share, "position_bias": p.position_bias,
            "position_bias_se": p.position_bias_se}


def grades_section(cal: cj_pb2.GradeCalibration) -> dict[str, Any]:
    return {
        "available": cal.available, "reason": cal.reason, "grade_scale_id": cal.grade_scale_id,
        "method": cal.method,
        "boundaries": [{"lower_grade": b.lower_grade, "upper_grade": b.upper_grade,
                        "threshold": b.threshold} for b in cal.boundaries],
        "anchors_per_grade": {c.grade: c.count for c in cal.anchors_per_grade},
        "inversions": [{"essay_id": i.essay_id, "grade": i.grade, "score": i.score,
                        "expected_low": i.expected_low, "expected_high": i.expected_high,
                        "evidence": i.evidence} for i in cal.inversions],
    }


def comparison_entry(c: cj_pb2.ComparisonRecord) -> dict[str, Any]:
    u = c.usage
    return {
        "comparison_id": c.comparison_id, "essay_a": c.essay_a_id, "essay_b": c.essay_b_id,
        "status": _enum(cj_pb2.ComparisonStatus, c.status, "COMPARISON_STATUS_"),
        "verdict": _enum(llm_pb2.Winner, c.winner, "WINNER_") if c.winner else None,
        "probability_a": c.probability_a if c.HasField("probability_a") else None,
        "confidence": c.confidence or None, "justification": c.justification,
        "provider": c.provider, "model": c.model,
        "tokens": {"prompt": u.prompt_tokens, "completion": u.completion_tokens,
                   "cache_read": u.cache_read_tokens, "cache_write": u.cache_write_tokens},
        "cost_usd": c.cost_usd, "prompt_sha256": c.prompt_sha256 or None, "attempts": c.attempts,
        "error": (_enum(llm_pb2.ComparisonErrorReason, c.error.reason, "COMPARISON_ERROR_REASON_")
                  if c.HasField("error") and c.error.reason else None),
        "created_at": iso(c.created_at), "completed_at": iso(c.completed_at),
    }


def costs_section(data: RunData) -> dict[str, Any]:
    by_model: dict[str, dict[str, float]] = {}
    for c in data.comparisons:
        if not c.model:
            continue
        entry = by_model.setdefault(f"{c.provider}/{c.model}", {"calls": 0, "cost_usd": 0.0})
        entry["calls"] += 1
        entry["cost_usd"] += c.cost_usd
    usage = data.assessment.progress.usage
    return {
        "total_usd": data.assessment.progress.cost_usd,
        "tokens": {"prompt": usage.prompt_tokens, "completion": usage.completion_tokens,
                   "cache_read": usage.cache_read_tokens, "cache_write": usage.cache_write_tokens},
        "tokens_estimated": usage.estimated,
        "by_model": by_model,
    }


def inputs_section(data: RunData) -> list[dict[str, Any]]:
    return list(data.inventory.get("inputs", [])) if data.inventory else []


def build(data: RunData, *, manifest: list[dict[str, Any]], tool_version: str) -> dict[str, Any]:
    return {
        "$schema": SCHEMA_ID, "artefact_version": 1,
        "tool": {"name": "huleedu", "version": tool_version},
        "batch": {**batch_section(data.assessment), "partial": data.results.partial},
        "inputs": inputs_section(data),
        "context": dict(data.inventory.get("context", {})) if data.inventory else {},
        "comparisons": [comparison_entry(c) for c in data.comparisons],
        "bt": bt_section(data.results), "grades": grades_section(data.results.calibration),
        "judge_models": list(data.results.judge_models), "costs": costs_section(data),
        "notes": list(data.notes), "manifest": manifest,
    }


def _finite(value: float) -> float | None:
    """JSON has no infinity: a standard error that does not exist (under 4 essays) is null."""
    return value if math.isfinite(value) else None
