"""SubmitComparisons: validate each request, queue the valid ones, refuse when over depth."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from contracts import errors, headers
from contracts.huleedu.llm.v1 import llm_pb2
from llm_provider.adapters.queue import Enqueued
from llm_provider.config import ProviderSettings
from llm_provider.domain.manifest import Manifest
from llm_provider.service.convert import timestamp
from llm_provider.service.validation import validate

MAX_BATCH = 5_000


class Queue(Protocol):
    async def depth(self) -> int: ...

    async def publish(self, items: list[tuple[str, bytes, dict[str, str]]]) -> list[Enqueued]: ...


@dataclass(frozen=True)
class Intake:
    manifest: Manifest
    providers: Mapping[str, ProviderSettings]
    queue: Queue
    max_depth: int
    default_ttl_s: float
    retry_after_s: float
    clock: Callable[[], float]


class QueueFullError(Exception):
    """Carries the retry hint the gRPC edge turns into google.rpc.RetryInfo."""

    def __init__(self, error: errors.ServiceError, retry_after_s: float):
        super().__init__(str(error))
        self.error, self.retry_after_s = error, retry_after_s


async def submit_comparisons(
    requests: Sequence[llm_pb2.ComparisonRequest], intake: Intake,
) -> list[llm_pb2.SubmissionOutcome]:
    if len(requests) > MAX_BATCH:
        raise errors.invalid_argument("INVALID_ARGUMENT", f"at most {MAX_BATCH} requests per call")
    outcomes = [_checked(r, intake) for r in requests]
    valid = [r for r, o in zip(requests, outcomes, strict=True) if o.accepted]
    if not valid:
        return outcomes
    await _check_depth(intake)
    enqueued = iter(await _enqueue(valid, intake))
    return [_merge(o, next(enqueued)) if o.accepted else o for o in outcomes]


def _checked(request: llm_pb2.ComparisonRequest, intake: Intake) -> llm_pb2.SubmissionOutcome:
    rejection = validate(request, manifest=intake.manifest, providers=intake.providers)
    if rejection is None:
        return llm_pb2.SubmissionOutcome(request_id=request.request_id, accepted=True)
    return llm_pb2.SubmissionOutcome(
        request_id=request.request_id, accepted=False,
        rejection_reason=rejection.reason, rejection_message=rejection.message,
    )


async def _check_depth(intake: Intake) -> None:
    try:
        depth = await intake.queue.depth()
    except Exception as exc:
        raise errors.unavailable("DEPENDENCY_UNAVAILABLE",
                                 f"work queue unavailable: {exc!r}") from exc
    if depth >= intake.max_depth:
        error = errors.resource_exhausted(
            "QUEUE_FULL",
            f"work queue holds {depth} requests (max {intake.max_depth}); retry later",
            retry_after_s=f"{intake.retry_after_s:g}",
        )
        raise QueueFullError(error, intake.retry_after_s)


async def _enqueue(valid: list[llm_pb2.ComparisonRequest], intake: Intake) -> list[Enqueued]:
    now = intake.clock()
    items = []
    for request in valid:
        ttl = request.ttl.seconds + request.ttl.nanos / 1e9 or intake.default_ttl_s
        queued = llm_pb2.QueuedComparison(
            request=request, queued_at=timestamp(now), expires_at=timestamp(now + ttl))
        data, hdrs = headers.encode(queued, msg_id=request.request_id,
                                    correlation_id=request.correlation_id)
        items.append((request.request_id, data, hdrs))
    try:
        return await intake.queue.publish(items)
    except Exception as exc:
        raise errors.unavailable("DEPENDENCY_UNAVAILABLE",
                                 f"work queue publish failed: {exc!r}") from exc


def _merge(outcome: llm_pb2.SubmissionOutcome, enqueued: Enqueued) -> llm_pb2.SubmissionOutcome:
    if enqueued.queue_full:
        return llm_pb2.SubmissionOutcome(
            request_id=outcome.request_id, accepted=False, rejection_reason="QUEUE_FULL",
            rejection_message="work queue reached its maximum depth; resubmit later",
        )
    outcome.duplicate = enqueued.duplicate
    return outcome
