"""Judging one delivery of a queued comparison: call, retry later, or publish the one result.

The handler decides what the worker does with the message: ack (after the final result is
published) or nak(delay) (a retry, or a deferral while the provider's circuit is open or its
budget is spent). Every path that acks has published first, so a crash at any point leads to
a redelivery, and the results stream's Nats-Msg-Id dedupe keeps the result unique.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import structlog

from contracts.errors import ServiceError
from contracts.huleedu.events.v1 import events_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from llm_provider.adapters.providers.base import ProviderCall, ProviderReply
from llm_provider.config import WorkerSettings
from llm_provider.domain import errors
from llm_provider.domain.accounting import billed_usage, uses_attempt
from llm_provider.domain.backoff import retry_delay
from llm_provider.domain.circuit import OPEN
from llm_provider.domain.errors import ProviderFailure
from llm_provider.domain.manifest import Manifest, ModelSpec
from llm_provider.domain.usage import Usage
from llm_provider.metrics import Metrics
from llm_provider.service import outcomes, validation
from llm_provider.service.calling import Attempt, Caller
from llm_provider.service.cancellation import CancelledGroups, InFlight, Ticket
from llm_provider.service.clock import Clock
from llm_provider.service.convert import add_usage, call_of, seconds_of
from llm_provider.service.models import ModelRuntimes
from llm_provider.service.registry import ProviderSlot

log = structlog.get_logger("llm_provider.judging")


@dataclass(frozen=True)
class Disposition:
    ack: bool
    delay: float = 0.0


ACK = Disposition(True)


class Publisher(Protocol):
    async def publish(self, key: str, result: llm_pb2.ComparisonResult,
                      usage: events_pb2.LLMUsageRecorded) -> bool: ...


class Attempts(Protocol):
    async def load(self, request_id: str) -> llm_pb2.ComparisonResult | None: ...
    async def save(self, state: llm_pb2.ComparisonResult) -> None: ...
    async def forget(self, request_id: str) -> None: ...


@dataclass
class Judge:
    slots: Mapping[str, ProviderSlot]
    manifest: Manifest
    publisher: Publisher
    attempts: Attempts
    settings: WorkerSettings
    clock: Clock
    rng: np.random.Generator
    metrics: Metrics
    cancelled: CancelledGroups
    in_flight: InFlight = field(default_factory=InFlight)
    runtimes: ModelRuntimes = field(default_factory=ModelRuntimes)

    def __post_init__(self) -> None:
        self.caller = Caller(self.runtimes, self.settings, self.clock, self.metrics)

    async def handle(self, queued: llm_pb2.QueuedComparison, *, delivery: int) -> Disposition:
        """Process one delivery (`delivery` counts from 1, as JetStream's num_delivered)."""
        request = queued.request
        loaded = await self.attempts.load(request.request_id) if delivery > 1 else None
        # Entered before the cancellation check, with no await between: a cancellation
        # arriving from now on reaches this request through its ticket.
        ticket = self.in_flight.enter(request.group_id)
        try:
            disposition = await self._handle(queued, loaded or outcomes.new_state(queued), ticket)
        finally:
            self.in_flight.leave(ticket)
        if disposition.ack and loaded is not None:  # its one result is out: drop the retry state
            await self.attempts.forget(request.request_id)
        return disposition

    async def _handle(self, queued: llm_pb2.QueuedComparison, state: llm_pb2.ComparisonResult,
                      ticket: Ticket) -> Disposition:
        request = queued.request
        slot = self.slots.get(request.judge.provider)
        spec = self.manifest.get(request.judge.provider, request.judge.model)
        reason = self.cancelled.reason(ticket.group_id)  # nothing awaited since enter()
        refused = _breaks_intake(request)
        if refused is not None:  # published past intake (or queued before its limits)
            return await self._final_error(queued, state, spec, refused)
        if reason is not None:
            self._count_cancel(request, "queued")
            return await self._final_error(queued, state, spec, outcomes.cancelled(reason))
        if self.clock.wall() >= seconds_of(queued.expires_at):
            return await self._expire(queued, state, slot, spec)
        if slot is None or spec is None or not slot.ready:
            failure = ProviderFailure(errors.PROVIDER_NOT_CONFIGURED,
                                      f"{request.judge.provider} is not configured here")
            return await self._final_error(queued, state, spec, failure)
        attempt = Attempt(call_of(request, spec, attempt=outcomes.calls_made(state) + 1))
        if await self._run(slot, attempt, ticket):
            assert ticket.reason is not None  # _run is True only for a cancelled group
            return await self._cut_off(queued, state, slot, attempt, ticket.reason)
        return await self._settle(queued, state, slot, attempt)

    async def _run(self, slot: ProviderSlot, attempt: Attempt, ticket: Ticket) -> bool:
        """Run the try; True when the request's group was cancelled while it ran."""
        if not ticket.group_id:
            await self.caller.run(slot, attempt)
            return False
        ticket.task = asyncio.create_task(self.caller.run(slot, attempt))
        try:
            await ticket.task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if ticket.reason is None or (current is not None and current.cancelling()):
                raise  # the worker itself is stopping
            return True
        finally:
            ticket.task = None
        return False

    async def _settle(self, queued: llm_pb2.QueuedComparison, state: llm_pb2.ComparisonResult,
                      slot: ProviderSlot, attempt: Attempt) -> Disposition:
        if attempt.deferral is not None:
            return self._defer(queued, slot, *attempt.deferral)
        if attempt.failure is not None:
            return await self._failed(queued, state, slot, attempt, attempt.failure)
        assert attempt.reply is not None
        return await self._succeeded(queued, state, slot, attempt, attempt.reply)

    async def _succeeded(self, queued: llm_pb2.QueuedComparison,
                         state: llm_pb2.ComparisonResult, slot: ProviderSlot, attempt: Attempt,
                         reply: ProviderReply) -> Disposition:
        self._stamp(state, slot, attempt)
        slot.breaker.record_success()
        slot.limiter.settle(self.clock.mono(), estimated=attempt.size,
                            actual=reply.usage.input_total + reply.usage.completion)
        state.attempts += 1
        add_usage(state.usage, reply.usage)
        state.ClearField("error")
        outcomes.record_verdict(state, reply.verdict)
        self._count_call(attempt.call, "ok")
        return await self._publish(queued, state, attempt.call.spec)

    async def _failed(self, queued: llm_pb2.QueuedComparison, state: llm_pb2.ComparisonResult,
                      slot: ProviderSlot, attempt: Attempt,
                      failure: ProviderFailure) -> Disposition:
        now = self.clock.mono()
        self._stamp(state, slot, attempt)
        self._charge(state, attempt, failure.kind, failure.usage,
                     uses_attempt(probe=attempt.probe, retryable=failure.retryable))
        self._track_health(slot, failure, now)
        if failure.retry_after:
            slot.limiter.pause_until(now + failure.retry_after)
        if not failure.retryable or state.attempts >= self.settings.max_attempts:
            return await self._final_error(queued, state, attempt.call.spec, failure)
        outcomes.record_error(state, failure)
        await self.attempts.save(state)
        delay = retry_delay(max(state.attempts, 1), base=self.settings.backoff_base_s,
                            cap=self.settings.backoff_max_s, rng=self.rng,
                            retry_after=failure.retry_after)
        self.metrics.retries.labels(slot.settings.name, failure.kind).inc()
        log.info("retry scheduled", request_id=state.request_id, kind=failure.kind,
                 attempt=state.attempts, probe=attempt.probe, delay_s=round(delay, 3),
                 message=failure.message[:200])
        return self._nak(queued, delay)

    async def _cut_off(self, queued: llm_pb2.QueuedComparison, state: llm_pb2.ComparisonResult,
                       slot: ProviderSlot, attempt: Attempt, reason: str) -> Disposition:
        """The group was cancelled while this request waited for, or was in, its call."""
        stage = "in_flight" if attempt.called else "queued"
        self._count_cancel(queued.request, stage)
        failure = outcomes.cancelled(reason)
        if attempt.called:
            self._stamp(state, slot, attempt)
            self._charge(state, attempt, failure.kind, failure.usage, True)
        return await self._final_error(queued, state, attempt.call.spec, failure)

    def _stamp(self, state: llm_pb2.ComparisonResult, slot: ProviderSlot,
               attempt: Attempt) -> None:
        """When the call began, and the hash of the body it sent (after any structured-output
        fallback within the call); a call cut off in flight has the adapter's body now."""
        assert slot.adapter is not None
        state.started_at.FromNanoseconds(int((attempt.started_wall or self.clock.wall()) * 1e9))
        sent = attempt.reply or attempt.failure  # a call cut off in flight has neither
        state.prompt_sha256 = (sent.sent_sha256 if sent else "") or slot.adapter.prompt_sha256(
            attempt.call)

    def _charge(self, state: llm_pb2.ComparisonResult, attempt: Attempt, kind: str,
                reported: Usage, counts: bool) -> None:
        """Bill a failed call (an estimate when it reported nothing and may have run)."""
        call = attempt.call
        usage = billed_usage(kind, reported, prompt_tokens=call.prompt.estimated_tokens(),
                             max_tokens=call.max_tokens)
        add_usage(state.usage, usage)
        state.failed_attempts[kind] += 1
        state.attempts += 1 if counts else 0
        self._count_call(call, kind)
        if usage.estimated:
            labels = (call.spec.provider, call.spec.model_id)
            self.metrics.add(self.metrics.estimated_tokens, (*labels, "prompt"), usage.prompt)
            self.metrics.add(self.metrics.estimated_tokens, (*labels, "completion"),
                             usage.completion)

    def _track_health(self, slot: ProviderSlot, failure: ProviderFailure, now: float) -> None:
        if failure.kind not in errors.UNHEALTHY:
            slot.breaker.record_success()  # the provider answered; it is up
            return
        was_open = slot.breaker.opened_at
        slot.breaker.record_failure(now)
        if slot.breaker.opened_at is not None and slot.breaker.opened_at != was_open:
            self.metrics.breaker_opened.labels(slot.settings.name).inc()
            log.warning("circuit opened", provider=slot.settings.name,
                        failures=slot.breaker.failures)

    async def _expire(self, queued: llm_pb2.QueuedComparison, state: llm_pb2.ComparisonResult,
                      slot: ProviderSlot | None, spec: ModelSpec | None) -> Disposition:
        circuit_open = slot is not None and slot.breaker.state(self.clock.mono()) == OPEN
        failure = outcomes.expiry_failure(state, circuit_open=circuit_open)
        return await self._final_error(queued, state, spec, failure)

    async def _final_error(self, queued: llm_pb2.QueuedComparison,
                           state: llm_pb2.ComparisonResult, spec: ModelSpec | None,
                           failure: ProviderFailure) -> Disposition:
        state.ClearField("verdict")
        outcomes.record_error(state, failure)
        log.warning("comparison failed", request_id=state.request_id, kind=failure.kind,
                    attempts=state.attempts, message=failure.message[:200])
        return await self._publish(queued, state, spec)

    async def _publish(self, queued: llm_pb2.QueuedComparison, state: llm_pb2.ComparisonResult,
                       spec: ModelSpec | None) -> Disposition:
        result = outcomes.finish(state, queued, spec=spec, completed=self.clock.wall())
        await self.publisher.publish(queued.request.results_subject_key, result,
                                     outcomes.usage_event(result))
        self._count_result(result)
        return ACK

    def _defer(self, queued: llm_pb2.QueuedComparison, slot: ProviderSlot, delay: float,
               reason: str) -> Disposition:
        self.metrics.deferrals.labels(slot.settings.name, reason).inc()
        jitter = float(self.rng.uniform(0.0, 0.1 * delay + 0.01))
        return self._nak(queued, delay + jitter)

    def _nak(self, queued: llm_pb2.QueuedComparison, delay: float) -> Disposition:
        # Never sleep past expiry: the redelivery that finds the TTL spent ends the request.
        left = seconds_of(queued.expires_at) - self.clock.wall()
        return Disposition(False, max(0.0, min(delay, left + 0.01)))

    def _count_cancel(self, request: llm_pb2.ComparisonRequest, stage: str) -> None:
        self.metrics.add(self.metrics.cancelled, (request.judge.provider, stage))

    def _count_call(self, call: ProviderCall, outcome: str) -> None:
        self.metrics.add(self.metrics.provider_calls,
                         (call.spec.provider, call.spec.model_id, outcome))

    def _count_result(self, result: llm_pb2.ComparisonResult) -> None:
        outcome = "verdict" if result.HasField("verdict") else llm_pb2.ComparisonErrorReason.Name(
            result.error.reason).removeprefix("COMPARISON_ERROR_REASON_")
        self.metrics.add(self.metrics.results, (result.provider, outcome))
        usage = result.usage
        for kind, count in (("prompt", usage.prompt_tokens),
                            ("completion", usage.completion_tokens),
                            ("cache_read", usage.cache_read_tokens),
                            ("cache_write", usage.cache_write_tokens)):
            if count:
                self.metrics.add(self.metrics.tokens, (result.provider, result.model, kind),
                                 count)
        if result.cost_usd:
            self.metrics.add(self.metrics.cost, (result.provider, result.model), result.cost_usd)


def _breaks_intake(request: llm_pb2.ComparisonRequest) -> ProviderFailure | None:
    """A queued request that intake would have refused is answered with a final error, never
    judged: its one result still reaches the requester."""
    try:
        validation.check_request(request)
    except ServiceError as error:
        return ProviderFailure(errors.INVALID_REQUEST, f"breaks intake's limits: {error.message}")
    return None
