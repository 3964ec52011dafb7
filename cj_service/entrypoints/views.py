"""Assessments and comparisons -> cj.v1 protos: the API's answers, and the assessment the
events carry (adapters/events.py writes them with these)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from google.protobuf.timestamp_pb2 import Timestamp

from cj_service.domain.assessment import TERMINAL, Assessment, State
from cj_service.domain.judge_warnings import judge_warnings
from cj_service.domain.reliability import split_half_se
from cj_service.domain.simulated_judge import is_simulated
from cj_service.service.workflow.queries import Results
from cj_service.service.workflow.records import StoredComparison
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.llm.v1 import llm_pb2


def timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


class Tokens(Protocol):
    @property
    def prompt_tokens(self) -> int: ...
    @property
    def completion_tokens(self) -> int: ...
    @property
    def cache_read_tokens(self) -> int: ...
    @property
    def cache_write_tokens(self) -> int: ...


def usage(row: Tokens) -> common_pb2.TokenUsage:
    return common_pb2.TokenUsage(
        prompt_tokens=int(row.prompt_tokens or 0),
        completion_tokens=int(row.completion_tokens or 0),
        cache_read_tokens=int(row.cache_read_tokens or 0),
        cache_write_tokens=int(row.cache_write_tokens or 0),
    )


def batch_usage(row: Assessment) -> common_pb2.TokenUsage:
    """The batch's tokens, flagged when part of them is llm_provider's estimate."""
    total = usage(row)
    total.estimated = bool(row.tokens_estimated)
    return total


def judge(row: Assessment) -> common_pb2.JudgeConfig:
    config = common_pb2.JudgeConfig()
    config.ParseFromString(row.judge_config)
    return config


def progress(row: Assessment) -> cj_pb2.AssessmentProgress:
    return cj_pb2.AssessmentProgress(
        comparisons_done=row.comparisons_done,
        comparisons_failed=row.comparisons_failed,
        comparisons_in_flight=row.comparisons_in_flight,
        budget=row.budget,
        reliability=row.reliability,
        ssr=row.ssr,
        cost_usd=row.cost_usd,
        usage=batch_usage(row),
        target_reliability=row.target_reliability,
        reliability_se=split_half_se(row.reliability, row.n_texts),
        failed_attempts={k: int(n) for k, n in (row.failed_attempts or {}).items()},
        probability_a_dropped=row.probability_a_dropped,
    )


def warnings(row: Assessment) -> list[str]:
    """Plain-language warnings about the judge's verdicts so far (domain/judge_warnings.py).
    The reliability is judged only once the batch ended: a running batch's is still rising."""
    final = row.state in TERMINAL and row.comparisons_done > 0 and row.n_texts >= 4
    return judge_warnings(
        a_wins=row.a_wins,
        verdicts=row.comparisons_done,
        reliability=row.reliability if final else None,
        reliability_se=split_half_se(row.reliability, row.n_texts) if final else None,
        position_bias=row.position_bias,
        position_bias_se=row.position_bias_se,
        p_a_dropped=row.probability_a_dropped,
        no_truth_texts=len(row.no_truth_texts or ()),
    )


def assessment(row: Assessment) -> cj_pb2.Assessment:
    completed = row.state == State.COMPLETED
    failed = row.state == State.FAILED
    return cj_pb2.Assessment(
        assessment_id=row.id,
        state=cj_pb2.AssessmentState.Value(f"ASSESSMENT_STATE_{row.state}"),
        completion_reason=_enum(
            cj_pb2.CompletionReason, "COMPLETION_REASON", row.completion_reason if completed else ""
        ),
        failure_reason=_enum(
            cj_pb2.FailureReason, "FAILURE_REASON", row.failure_reason if failed else ""
        ),
        detail=row.detail,
        progress=progress(row),
        assignment_id=row.assignment_id,
        essay_count=row.essay_count,
        anchor_count=row.anchor_count,
        judge=judge(row),
        grade_scale_id=row.grade_scale_id,
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.updated_at),
        finished_at=timestamp(row.finished_at),
        correlation_id=row.correlation_id,
        metadata=dict(row.metadata or {}),
        warnings=warnings(row),
        simulated_judge=is_simulated(row.judge_provider),
    )


def _enum(enum_type: Any, prefix: str, name: str) -> Any:
    return enum_type.Value(f"{prefix}_{name}") if name else 0


def comparison(row: StoredComparison, essay_ids: dict[int, str]) -> cj_pb2.ComparisonRecord:
    record = cj_pb2.ComparisonRecord(
        comparison_id=row.id,
        essay_a_id=essay_ids.get(row.idx_a, ""),
        essay_b_id=essay_ids.get(row.idx_b, ""),
        status=cj_pb2.ComparisonStatus.Value(f"COMPARISON_STATUS_{row.status}"),
        winner=llm_pb2.Winner.ValueType(row.winner),
        confidence=row.confidence,
        justification=row.justification,
        provider=row.provider,
        model=row.model,
        usage=usage(row),
        cost_usd=row.cost_usd,
        prompt_sha256=row.prompt_sha256,
        attempts=row.attempts,
        created_at=timestamp(row.created_at),
        completed_at=timestamp(row.completed_at),
    )
    if row.probability_a is not None:
        record.probability_a = row.probability_a
    if row.error:
        record.error.CopyFrom(llm_pb2.ComparisonError.FromString(row.error))
    return record


def results(r: Results) -> cj_pb2.GetAssessmentResultsResponse:
    """The stored results with the assessment as it is now and its fit history."""
    response = cj_pb2.GetAssessmentResultsResponse.FromString(r.stored)
    response.assessment.CopyFrom(assessment(r.assessment))
    response.partial = r.partial
    response.history.extend(
        cj_pb2.FitSnapshot(
            comparisons=h.comparisons,
            reliability=h.reliability,
            reliability_se=split_half_se(h.reliability, r.assessment.n_texts),
            ssr=h.ssr,
            position_bias=h.position_bias,
            created_at=timestamp(h.created_at),
        )
        for h in r.history
    )
    return response
