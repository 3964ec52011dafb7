"""Periodic loops: watchdog, recovery of unsent comparisons, and the state gauges."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

from cj_service.domain.assessment import State
from cj_service.service.workflow import watchdog
from cj_service.service.workflow.contexts import Dispatching

log = structlog.get_logger("cj_service.background")


class Periodic:
    """Run `fn` now and then every `interval_s`; errors are logged, never fatal."""

    def __init__(self, name: str, interval_s: float, fn: Callable[[], Awaitable[object]]) -> None:
        self.name = name
        self._interval = interval_s
        self._fn = fn
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=self.name)

    async def _loop(self) -> None:
        while True:
            try:
                await self._fn()
            except Exception:
                log.exception("periodic_failed", loop=self.name)
            await asyncio.sleep(self._interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def recover_pending(ctx: Dispatching) -> int:
    """Re-send comparisons persisted but never accepted (a crash or llm_provider outage)."""
    async with ctx.store.read() as tx:
        batch_ids = await tx.comparisons.with_old_pending(
            older_than_s=ctx.pipeline.pending_grace_s
        )
    for batch_id in batch_ids:
        ctx.kick(batch_id)
    return len(batch_ids)


async def refresh_gauges(ctx: Dispatching) -> None:
    async with ctx.store.read() as tx:
        counts = await tx.assessments.count_by_state()
        flying = await tx.assessments.in_flight_total()
    for state in State:
        ctx.metrics.batches.labels(state=state.value).set(counts.get(state.value, 0))
    ctx.metrics.in_flight.set(flying)


def loops(ctx: Dispatching) -> list[Periodic]:
    p = ctx.pipeline
    return [
        Periodic("cj-watchdog", p.watchdog_interval_s, lambda: watchdog.sweep(ctx)),
        Periodic("cj-recovery", p.recovery_interval_s, lambda: recover_pending(ctx)),
        Periodic("cj-gauges", 5.0, lambda: refresh_gauges(ctx)),
    ]
