"""One try at a provider call: a slot of the model's server, the breaker, the budget, the call.

The caller fills in an `Attempt` as it goes, so whoever awaits it (and may cancel it) can
tell afterwards how far it got: deferred without a call, answered, failed, or cut off while
the call was out (`called`). Waiting for a slot is not part of the call's timeout; the
timeout follows the model's observed latency for a call of this size.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

import structlog

from llm_provider.adapters.providers.base import ProviderCall, ProviderReply
from llm_provider.config import WorkerSettings
from llm_provider.domain import errors
from llm_provider.domain.errors import ProviderFailure
from llm_provider.domain.latency import call_timeout
from llm_provider.metrics import Metrics
from llm_provider.service.clock import Clock
from llm_provider.service.models import ModelRuntime, ModelRuntimes
from llm_provider.service.registry import ProviderSlot

log = structlog.get_logger("llm_provider.calling")


@dataclass
class Attempt:
    """How far one try got; `call` is the call as sent (with its timeout) once `called`."""

    call: ProviderCall
    reply: ProviderReply | None = None
    failure: ProviderFailure | None = None
    deferral: tuple[float, str] | None = None  # (delay, reason): handed back, no call made
    probe: bool = False  # the circuit breaker's half-open probe
    called: bool = False
    started_wall: float = 0.0  # wall-clock seconds when the provider call began

    @property
    def size(self) -> int:
        """Prompt estimate plus max output: the tokens budgets and timeouts are sized by."""
        return self.call.prompt.estimated_tokens() + self.call.max_tokens


@dataclass
class Caller:
    runtimes: ModelRuntimes
    settings: WorkerSettings
    clock: Clock
    metrics: Metrics

    async def run(self, slot: ProviderSlot, attempt: Attempt) -> None:
        runtime = self.runtimes.of(attempt.call.spec)
        labels = (slot.settings.name, attempt.call.spec.model_id)
        async with runtime.slot() as waited:
            if runtime.gate is not None:
                self.metrics.child(self.metrics.slot_wait, *labels).observe(waited)
            await self._admitted(slot, runtime, attempt)

    async def _admitted(self, slot: ProviderSlot, runtime: ModelRuntime,
                        attempt: Attempt) -> None:
        now = self.clock.mono()
        if not slot.breaker.allow(now):
            attempt.deferral = (slot.breaker.retry_in(now), "circuit_open")
            return
        attempt.probe = slot.breaker.probing()
        wait = slot.limiter.reserve(now, attempt.size)
        if wait > self.settings.max_local_wait_s:
            self._hand_back(slot, attempt)
            attempt.deferral = (wait, "budget")
            return
        if wait > 0:
            self.metrics.rate_limit_wait.labels(slot.settings.name).observe(wait)
            try:
                await self.clock.sleep(wait)
            except asyncio.CancelledError:
                self._hand_back(slot, attempt)
                raise
        await self._call(slot, runtime, attempt)

    def _hand_back(self, slot: ProviderSlot, attempt: Attempt) -> None:
        """No call will be made after all: return the budget and the probe slot."""
        slot.limiter.refund(attempt.size)
        if attempt.probe:
            slot.breaker.release()

    async def _call(self, slot: ProviderSlot, runtime: ModelRuntime, attempt: Attempt) -> None:
        assert slot.adapter is not None
        timeout = call_timeout(slot.settings.timeout_s, runtime.latency.predict(attempt.size))
        attempt.call = replace(attempt.call, timeout_s=timeout)
        labels = (slot.settings.name, attempt.call.spec.model_id)
        self.metrics.child(self.metrics.call_timeout, *labels).observe(timeout)
        attempt.called = True
        attempt.started_wall = self.clock.wall()
        started = self.clock.mono()
        try:
            attempt.reply = await slot.adapter.judge(attempt.call)
        except ProviderFailure as failure:
            attempt.failure = failure
        except asyncio.CancelledError:
            if attempt.probe:
                slot.breaker.release()  # the probe never reported; let another one go
            raise
        except Exception as exc:  # an adapter bug must not lose the request: retry, then fail
            log.exception("provider adapter raised", provider=slot.settings.name)
            attempt.failure = ProviderFailure(errors.PROVIDER_ERROR, f"adapter error: {exc!r}")
        finally:
            elapsed = self.clock.mono() - started
            self.metrics.child(self.metrics.call_seconds, slot.settings.name).observe(elapsed)
        self._learn(runtime, attempt, elapsed)

    def _learn(self, runtime: ModelRuntime, attempt: Attempt, elapsed: float) -> None:
        """Successes teach the latency model; a client-side timeout is a lower bound."""
        failure = attempt.failure
        if failure is None or (failure.kind == errors.TIMEOUT and not failure.http_status):
            runtime.latency.observe(elapsed, attempt.size)
