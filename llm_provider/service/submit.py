"""SubmitComparisons: check each request at the door and against the bus, claim its id, queue
the valid ones, refuse the call when the queue is over depth.

A refused request writes nothing: the door, the size of its work-queue message and the
queue's depth are checked before its id is claimed, and only claimed ids are published.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from contracts import errors, headers
from contracts.huleedu.llm.v1 import llm_pb2
from contracts.text import clip
from llm_provider.adapters.nats_client import wire_size
from llm_provider.adapters.queue import Enqueued
from llm_provider.config import ProviderSettings
from llm_provider.domain.manifest import Manifest
from llm_provider.service.convert import seconds_of, timestamp
from llm_provider.service.validation import Rejection, bus_problem, check_submit, validate

Item = tuple[str, bytes, dict[str, str]]  # request_id, payload, headers


class Queue(Protocol):
    @property
    def max_payload(self) -> int: ...

    async def depth(self) -> int: ...

    async def publish(self, items: list[Item]) -> list[Enqueued]: ...


class RequestIds(Protocol):
    async def claim(self, claims: list[tuple[str, bytes]]) -> list[bool]: ...


@dataclass(frozen=True)
class Intake:
    manifest: Manifest
    providers: Mapping[str, ProviderSettings]
    queue: Queue
    request_ids: RequestIds
    max_depth: int
    default_ttl_s: float
    retry_after_s: float
    clock: Callable[[], float]


class QueueFullError(Exception):
    """Carries the retry hint the gRPC edge turns into google.rpc.RetryInfo."""

    def __init__(self, error: errors.ServiceError, retry_after_s: float):
        super().__init__(str(error))
        self.error, self.retry_after_s = error, retry_after_s


@dataclass
class _Entry:
    outcome: llm_pb2.SubmissionOutcome
    item: Item | None = None  # set while the request is still to be queued
    fingerprint: bytes = b""


async def submit_comparisons(request: llm_pb2.SubmitComparisonsRequest,
                             intake: Intake) -> list[llm_pb2.SubmissionOutcome]:
    check_submit(request)
    now = intake.clock()
    entries = [_checked(r, intake, now) for r in request.requests]
    pending = [e for e in entries if e.item is not None]
    if pending:
        await _check_depth(intake)
        await _claim(pending, intake)
        await _enqueue(pending, intake)
    return [e.outcome for e in entries]


def fingerprint(request: llm_pb2.ComparisonRequest) -> bytes:
    """What makes a resubmission the same request: all of it but the ttl and correlation_id,
    which say how it is delivered (a caller restarted with another ttl setting, or retrying
    under a new trace, still asks for the same judgement)."""
    body = llm_pb2.ComparisonRequest()
    body.CopyFrom(request)
    body.ClearField("ttl")
    body.ClearField("correlation_id")
    return hashlib.sha256(body.SerializeToString(deterministic=True)).digest()


def _checked(request: llm_pb2.ComparisonRequest, intake: Intake, now: float) -> _Entry:
    rejection = validate(request, manifest=intake.manifest, providers=intake.providers)
    if rejection is not None:
        return _Entry(_refused(request.request_id, rejection))
    item = _encoded(request, intake, now)
    too_large = bus_problem(wire_size(item[1], item[2]), max_payload=intake.queue.max_payload)
    if too_large is not None:
        return _Entry(_refused(request.request_id, too_large))
    return _Entry(llm_pb2.SubmissionOutcome(request_id=request.request_id, accepted=True),
                  item, fingerprint(request))


def _encoded(request: llm_pb2.ComparisonRequest, intake: Intake, now: float) -> Item:
    ttl = seconds_of(request.ttl) or intake.default_ttl_s
    queued = llm_pb2.QueuedComparison(
        request=request, queued_at=timestamp(now), expires_at=timestamp(now + ttl))
    data, hdrs = headers.encode(queued, msg_id=request.request_id,
                                correlation_id=request.correlation_id)
    return request.request_id, data, hdrs


def _refused(request_id: str, rejection: Rejection) -> llm_pb2.SubmissionOutcome:
    return llm_pb2.SubmissionOutcome(request_id=request_id, accepted=False,
                                     rejection_reason=rejection.reason,
                                     rejection_message=rejection.message)


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


async def _claim(entries: list[_Entry], intake: Intake) -> None:
    """Record each id's fingerprint; an id already holding another one is a conflict."""
    claims = [(e.outcome.request_id, e.fingerprint) for e in entries]
    try:
        fresh = await intake.request_ids.claim(claims)
    except Exception as exc:
        raise errors.unavailable("DEPENDENCY_UNAVAILABLE",
                                 f"request id store unavailable: {exc!r}") from exc
    for entry, ok in zip(entries, fresh, strict=True):
        if not ok:
            request_id = entry.outcome.request_id
            entry.outcome, entry.item = _refused(request_id, Rejection(
                "REQUEST_ID_CONFLICT",
                f"request_id {clip(request_id)!r} was submitted before with another body; "
                "a new request needs a new id")), None


async def _enqueue(entries: list[_Entry], intake: Intake) -> None:
    """Publish the claimed requests; each outcome learns what the stream said."""
    claimed = [(e.outcome, e.item) for e in entries if e.item is not None]
    if not claimed:
        return
    try:
        enqueued = await intake.queue.publish([item for _, item in claimed])
    except Exception as exc:
        raise errors.unavailable("DEPENDENCY_UNAVAILABLE",
                                 f"work queue publish failed: {exc!r}") from exc
    for (outcome, _), done in zip(claimed, enqueued, strict=True):
        _merge(outcome, done)


def _merge(outcome: llm_pb2.SubmissionOutcome, enqueued: Enqueued) -> None:
    if enqueued.queue_full:
        _refuse(outcome, "QUEUE_FULL", "work queue reached its maximum depth; resubmit later")
    elif enqueued.too_large:
        _refuse(outcome, "CONTENT_TOO_LARGE",
                "the NATS server refused the request's message as over its max_payload")
    else:
        outcome.duplicate = enqueued.duplicate


def _refuse(outcome: llm_pb2.SubmissionOutcome, reason: str, message: str) -> None:
    outcome.accepted = False
    outcome.rejection_reason, outcome.rejection_message = reason, message
