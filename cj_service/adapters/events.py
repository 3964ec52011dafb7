"""The EventOutbox on PostgreSQL: the events of an assessment that ended, serialized and
written in the transaction that ends it, in the order subscribers receive them
(docs/events.md): the terminal event first (completed, with the rich result after it; failed;
cancelled), ResourceConsumption last.

Every event is written to fit one NATS message (`max_payload`, the server's limit, headers
included): a large result in parts (event_parts.result_parts), any other event without its
growable fields when it would not fit (event_parts.fitted, named in omitted_fields)."""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from google.protobuf.duration_pb2 import Duration
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncConnection

from cj_service.adapters import event_parts, outbox_repo, result_messages
from cj_service.adapters.comparison_repo import SqlComparisons
from cj_service.domain.assessment import Assessment
from cj_service.entrypoints import views
from cj_service.service.workflow.ports import EventOutbox
from cj_service.service.workflow.results import FinalResults
from contracts import headers, subjects
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.events.v1 import events_pb2

log = structlog.get_logger("cj_service.events")


class SqlEventOutbox(EventOutbox):
    def __init__(self, conn: AsyncConnection, *, max_payload: int) -> None:
        self._conn = conn
        self._max_payload = max_payload

    async def completed(self, a: Assessment, results: FinalResults) -> None:
        message = result_messages.message(results)
        await completed(self._conn, a, message, max_payload=self._max_payload)

    async def failed(self, a: Assessment) -> None:
        await failed(self._conn, a, max_payload=self._max_payload)

    async def cancelled(self, a: Assessment) -> None:
        await cancelled(self._conn, a, max_payload=self._max_payload)


async def _add(
    conn, batch: Assessment, kind: str, subject: str, message: Message, max_payload: int
) -> None:
    room = _room(batch, kind, message, max_payload)
    message = event_parts.fitted(message, room)
    if message.ByteSize() > room:  # nothing left to leave out: the relay dead-letters it
        log.error("event_too_large", batch_id=batch.id, kind=kind, size=message.ByteSize(),
                  room=room)
    await outbox_repo.add_event(
        conn,
        batch_id=batch.id,
        kind=kind,
        subject=subject,
        message=message,
        correlation_id=batch.correlation_id,
    )


def _room(batch: Assessment, kind: str, message: Message, max_payload: int) -> int:
    """The payload bytes the event's headers leave under the server's max_payload."""
    _, hdrs = headers.encode(
        type(message)(),  # the headers as add_event writes them; the payload is not needed
        msg_id=outbox_repo.event_id_of(batch.id, kind),
        correlation_id=batch.correlation_id,
    )
    return max_payload - outbox_repo.wire_size(0, hdrs)


async def model_usage(conn: AsyncConnection, batch_id: str) -> list[events_pb2.ModelUsage]:
    """Spend per judge model; requests llm_provider refused before any call are not spend."""
    return [
        events_pb2.ModelUsage(
            provider=r.provider,
            model=r.model,
            calls=r.calls,
            usage=views.usage(r),
            cost_usd=r.cost_usd,
        )
        for r in await SqlComparisons(conn).usage_by_model(batch_id)
        if r.provider
    ]


def _made(models: Sequence[events_pb2.ModelUsage]) -> int:
    return sum(m.calls for m in models)


async def completed(
    conn: AsyncConnection,
    batch: Assessment,
    results: cj_pb2.GetAssessmentResultsResponse,
    *,
    max_payload: int,
) -> None:
    """Thin completion + rich result (in parts when large) + resource consumption."""
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
        max_payload,
    )
    await _results(
        conn,
        batch,
        results.essays,
        events_pb2.AssessmentResultPublished(
            assessment=assessment,
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
        max_payload,
    )
    await consumption(conn, batch, models, max_payload=max_payload)


async def _results(
    conn: AsyncConnection,
    batch: Assessment,
    essays: Sequence[cj_pb2.EssayResult],
    head: events_pb2.AssessmentResultPublished,
    max_payload: int,
) -> None:
    """The result's parts as rows of kind result, result.2, result.3... in order, so each
    part's Nats-Msg-Id is fixed by (batch, part) (docs/events.md "Result parts")."""
    room = _room(batch, "result", head, max_payload)
    for part in event_parts.result_parts(head, essays, room):
        kind = "result" if part.part == 1 else f"result.{part.part}"
        await _add(conn, batch, kind, subjects.CJ_ASSESSMENT_RESULT, part, max_payload)


async def failed(
    conn: AsyncConnection, batch: Assessment, *, max_payload: int
) -> None:
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
        max_payload,
    )
    await consumption(conn, batch, await model_usage(conn, batch.id), max_payload=max_payload)


async def cancelled(
    conn: AsyncConnection, batch: Assessment, *, max_payload: int
) -> None:
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
        max_payload,
    )
    await consumption(conn, batch, await model_usage(conn, batch.id), max_payload=max_payload)


async def consumption(
    conn: AsyncConnection,
    batch: Assessment,
    models: Sequence[events_pb2.ModelUsage],
    *,
    max_payload: int,
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
        max_payload,
    )


def _total(models: Sequence[events_pb2.ModelUsage]) -> common_pb2.TokenUsage:
    total = common_pb2.TokenUsage()
    for m in models:
        total.prompt_tokens += m.usage.prompt_tokens
        total.completion_tokens += m.usage.completion_tokens
        total.cache_read_tokens += m.usage.cache_read_tokens
        total.cache_write_tokens += m.usage.cache_write_tokens
    return total


def _duration(batch: Assessment) -> Duration:
    d = Duration()
    if batch.finished_at is not None and batch.created_at is not None:
        d.FromTimedelta(batch.finished_at - batch.created_at)
    return d
