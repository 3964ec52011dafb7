"""Periodic loops: watchdog, recovery of unsent comparisons, and the state gauges."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog
from sqlalchemy import func, select

from cj_service.adapters import batch_repo, comparison_repo
from cj_service.adapters.tables import batches
from cj_service.service import watchdog
from cj_service.service.deps import Deps
from cj_service.service.model import State

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


async def recover_pending(deps: Deps) -> int:
    """Re-send comparisons persisted but never accepted (a crash or llm_provider outage)."""
    async with deps.db.read() as conn:
        batch_ids = await comparison_repo.batches_with_old_pending(
            conn, older_than_s=deps.config.pipeline.pending_grace_s
        )
    for batch_id in batch_ids:
        deps.kick(batch_id)
    return len(batch_ids)


async def refresh_gauges(deps: Deps) -> None:
    async with deps.db.read() as conn:
        counts = await batch_repo.count_by_state(conn)
        live = (State.SUBMITTED.value, State.RUNNING.value)
        flying = (
            await conn.execute(
                select(func.coalesce(func.sum(batches.c.comparisons_in_flight), 0)).where(
                    batches.c.state.in_(live)
                )
            )
        ).scalar_one()
    for state in State:
        deps.metrics.batches.labels(state=state.value).set(counts.get(state.value, 0))
    deps.metrics.in_flight.set(int(flying))


def loops(deps: Deps) -> list[Periodic]:
    p = deps.config.pipeline
    return [
        Periodic("cj-watchdog", p.watchdog_interval_s, lambda: watchdog.sweep(deps)),
        Periodic("cj-recovery", p.recovery_interval_s, lambda: recover_pending(deps)),
        Periodic("cj-gauges", 5.0, lambda: refresh_gauges(deps)),
    ]
