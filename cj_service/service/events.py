"""Outbox events of a finished batch, written in the transaction that finishes it, in the
order subscribers receive them (docs/events.md): the terminal event first (completed, with the
rich result after it; failed; cancelled), ResourceConsumption last."""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf.duration_pb2 import Duration
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from cj_service.adapters import comparison_repo, outbox_repo
from cj_service.service import views
from contracts import subjects
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.events.v1 import events_pb2


async def _add(conn, batch: Row, kind: str, subject: str, message) -> None:
    await outbox_repo.add_event(
        conn,
        batch_id=batch.id,
        kind=kind,
        subject=subject,
        message=message,
        correlation_id=batch.correlation_id,
    )


async def model_usage(conn: AsyncConnection, batch_id: str) -> list[events_pb2.ModelUsage]:
    """Spend per judge model; requests llm_provider refused before any call are not spend."""
    return [
        events_pb2.ModelUsage(
            provider=r.provider,
            model=r.model,
            calls=int(r.calls),
            usage=views.usage(r),
            cost_usd=float(r.cost_usd or 0.0),
        )
        for r in await comparison_repo.usage_by_model(conn, batch_id)
        if r.provider
    ]


def _made(models: Sequence[events_pb2.ModelUsage]) -> int:
    return sum(m.calls for m in models)


async def completed(
    conn: AsyncConnection, batch: Row, results: cj_pb2.GetAssessmentResultsResponse
) -> None:
    """Thin completion + rich result + resource consumption, one of each per batch."""
    models = await model_usage(conn, batch.id)
    assessment = views.assessment(batch)
    await _add(
        conn,
        batch,
        "completed",
        subjects.CJ_ASSESSMENT_COMPLETED,
        events_pb2.AssessmentCompleted(
            assessment_id=batch.id,
            completion_reason=assessment.completion_reason,
            completed_at=assessment.finished_at,
            essay_count=batch.essay_count,
            comparisons_made=batch.comparisons_done,
            reliability=batch.reliability,
            reliability_se=assessment.progress.reliability_se,
            correlation_id=batch.correlation_id,
            metadata=dict(batch.metadata or {}),
        ),
    )
    await _add(
        conn,
        batch,
        "result",
        subjects.CJ_ASSESSMENT_RESULT,
        events_pb2.AssessmentResultPublished(
            assessment=assessment,
            essays=results.essays,
            calibration=results.calibration,
            fit=results.fit,
            anchor_ids=[e.essay_id for e in results.essays if e.is_anchor],
            comparisons_made=batch.comparisons_done,
            comparisons_failed=batch.comparisons_failed,
            duration=_duration(batch),
            models=models,
            cost_usd=batch.cost_usd,
            usage=views.batch_usage(batch),
        ),
    )
    await consumption(conn, batch, models)


async def failed(conn: AsyncConnection, batch: Row) -> None:
    assessment = views.assessment(batch)
    await _add(
        conn,
        batch,
        "failed",
        subjects.CJ_ASSESSMENT_FAILED,
        events_pb2.AssessmentFailed(
            assessment_id=batch.id,
            reason=assessment.failure_reason,
            detail=batch.detail,
            failed_at=assessment.finished_at,
            comparisons_made=batch.comparisons_done,
            correlation_id=batch.correlation_id,
            metadata=dict(batch.metadata or {}),
        ),
    )
    await consumption(conn, batch, await model_usage(conn, batch.id))


async def cancelled(conn: AsyncConnection, batch: Row) -> None:
    """AssessmentCancelled with what the batch had done and spent, then its consumption."""
    await _add(
        conn,
        batch,
        "cancelled",
        subjects.CJ_ASSESSMENT_CANCELLED,
        events_pb2.AssessmentCancelled(
            assessment_id=batch.id,
            reason=batch.detail,
            cancelled_at=views.timestamp(batch.finished_at),
            comparisons_made=batch.comparisons_done,
            comparisons_failed=batch.comparisons_failed,
            cost_usd=batch.cost_usd,
            usage=views.batch_usage(batch),
            correlation_id=batch.correlation_id,
            metadata=dict(batch.metadata or {}),
        ),
    )
    await consumption(conn, batch, await model_usage(conn, batch.id))


async def consumption(
    conn: AsyncConnection, batch: Row, models: Sequence[events_pb2.ModelUsage]
) -> None:
    await _add(
        conn,
        batch,
        "consumption",
        subjects.CJ_RESOURCE_CONSUMPTION,
        events_pb2.ResourceConsumption(
            assessment_id=batch.id,
            comparisons_made=_made(models),
            models=models,
            cost_usd=sum(m.cost_usd for m in models),
            usage=_total(models),
            recorded_at=views.timestamp(batch.finished_at),
            correlation_id=batch.correlation_id,
        ),
    )


def _total(models: Sequence[events_pb2.ModelUsage]) -> common_pb2.TokenUsage:
    total = common_pb2.TokenUsage()
    for m in models:
        total.prompt_tokens += m.usage.prompt_tokens
        total.completion_tokens += m.usage.completion_tokens
        total.cache_read_tokens += m.usage.cache_read_tokens
        total.cache_write_tokens += m.usage.cache_write_tokens
    return total


def _duration(batch: Row) -> Duration:
    d = Duration()
    if batch.finished_at is not None:
        d.FromTimedelta(batch.finished_at - batch.created_at)
    return d
