"""Judging one delivery of a queued comparison: call, retry later, or publish the one result.

The handler decides what the worker does with the message: ack (after the final result is
published) or nak(delay) (a retry, or a deferral while the provider's circuit is open or its
budget is spent). Every path that acks has published first, so a crash at any point leads to
a redelivery, and the results stream's Nats-Msg-Id dedupe keeps the result unique.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import structlog

from contracts.huleedu.events.v1 import events_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from llm_provider.adapters.providers.base import ProviderCall
from llm_provider.config import WorkerSettings
from llm_provider.domain import errors
from llm_provider.domain.backoff import retry_delay
from llm_provider.domain.circuit import OPEN
from llm_provider.domain.errors import ProviderFailure
from llm_provider.domain.manifest import Manifest, ModelSpec
from llm_provider.metrics import Metrics
from llm_provider.service import outcomes
from llm_provider.service.clock import Clock
from llm_provider.service.convert import add_usage, call_of, seconds_of
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

    async def handle(self, queued: llm_pb2.QueuedComparison, *, delivery: int) -> Disposition:
        """Process one delivery (`delivery` counts from 1, as JetStream's num_delivered)."""
        request = queued.request
        state = (await self.attempts.load(request.request_id) if delivery > 1 else None)
        state = state or outcomes.new_state(queued)
        slot = self.slots.get(request.judge.provider)
        spec = self.manifest.get(request.judge.provider, request.judge.model)
        if self.clock.wall() >= seconds_of(queued.expires_at):
            return await self._expire(queued, state, slot, spec)
        if slot is None or spec is None or not slot.ready:
            failure = ProviderFailure(errors.PROVIDER_NOT_CONFIGURED,
                                      f"{request.judge.provider} is not configured here")
            return await self._final_error(queued, state, spec, failure)
        return await self._attempt(queued, state, slot, spec)

    async def _attempt(self, queued: llm_pb2.QueuedComparison, state: llm_pb2.ComparisonResult,
                       slot: ProviderSlot, spec: ModelSpec) -> Disposition:
        call = call_of(queued.request, spec, attempt=state.attempts + 1)
        now = self.clock.mono()
        if not slot.breaker.allow(now):
            return self._defer(queued, slot, slot.breaker.retry_in(now), "circuit_open")
        tokens = call.prompt.estimated_tokens() + call.max_tokens
        wait = slot.limiter.reserve(now, tokens)
        if wait > self.settings.max_local_wait_s:
            slot.limiter.refund(tokens)
            slot.breaker.release()
            return self._defer(queued, slot, wait, "budget")
        if wait > 0:
            self.metrics.rate_limit_wait.labels(slot.settings.name).observe(wait)
            await self.clock.sleep(wait)
        return await self._call(queued, state, slot, call, tokens)

    async def _call(self, queued: llm_pb2.QueuedComparison, state: llm_pb2.ComparisonResult,
                    slot: ProviderSlot, call: ProviderCall, tokens: int) -> Disposition:
        assert slot.adapter is not None
        state.started_at.FromNanoseconds(int(self.clock.wall() * 1e9))
        state.prompt_sha256 = slot.adapter.prompt_sha256(call)
        started = self.clock.mono()
        try:
            reply = await slot.adapter.judge(call)
        except ProviderFailure as failure:
            return await self._failed(queued, state, slot, call, failure)
        except Exception as exc:  # an adapter bug must not lose the request: retry, then fail
            log.exception("provider adapter raised", provider=slot.settings.name)
            wrapped = ProviderFailure(errors.PROVIDER_ERROR, f"adapter error: {exc!r}")
            return await self._failed(queued, state, slot, call, wrapped)
        finally:
            elapsed = self.clock.mono() - started
            self.metrics.child(self.metrics.call_seconds, slot.settings.name).observe(elapsed)
        slot.breaker.record_success()
        slot.limiter.settle(self.clock.mono(), estimated=tokens, actual=reply.usage.input_total
                            + reply.usage.completion)
        state.attempts += 1
        add_usage(state.usage, reply.usage)
        state.ClearField("error")
        outcomes.record_verdict(state, reply.verdict)
        self._count_call(call, "ok")
        return await self._publish(queued, state, call.spec, delivery_retried=state.attempts > 1)

    async def _failed(self, queued: llm_pb2.QueuedComparison, state: llm_pb2.ComparisonResult,
                      slot: ProviderSlot, call: ProviderCall,
                      failure: ProviderFailure) -> Disposition:
        now = self.clock.mono()
        state.attempts += 1
        add_usage(state.usage, failure.usage)
        self._count_call(call, failure.kind)
        self._track_health(slot, failure, now)
        if failure.retry_after:
            slot.limiter.pause_until(now + failure.retry_after)
        if not failure.retryable or state.attempts >= self.settings.max_attempts:
            return await self._final_error(queued, state, call.spec, failure)
        outcomes.record_error(state, failure)
        await self.attempts.save(state)
        delay = retry_delay(state.attempts, base=self.settings.backoff_base_s,
                            cap=self.settings.backoff_max_s, rng=self.rng,
                            retry_after=failure.retry_after)
        self.metrics.retries.labels(slot.settings.name, failure.kind).inc()
        log.info("retry scheduled", request_id=state.request_id, kind=failure.kind,
                 attempt=state.attempts, delay_s=round(delay, 3))
        return self._nak(queued, delay)

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
        return await self._publish(queued, state, spec, delivery_retried=state.attempts > 1)

    async def _publish(self, queued: llm_pb2.QueuedComparison, state: llm_pb2.ComparisonResult,
                       spec: ModelSpec | None, *, delivery_retried: bool) -> Disposition:
        result = outcomes.finish(state, queued, spec=spec, completed=self.clock.wall())
        await self.publisher.publish(queued.request.results_subject_key, result,
                                     outcomes.usage_event(result))
        if delivery_retried:
            await self.attempts.forget(result.request_id)
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
