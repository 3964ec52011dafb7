"""A background task that asks the database "are you there?" and reports every change.

gRPC health follows it, so load balancers and the mesh's clients stop sending work to an
instance whose database is gone, and send it again once the database is back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

_log = structlog.get_logger("content_service")


class DatabaseProbe:
    def __init__(
        self, ping: Callable[[], Awaitable[None]], *,
        on_change: Callable[[bool], Awaitable[None]], interval_s: float, timeout_s: float,
    ) -> None:
        self._ping = ping
        self._on_change = on_change
        self._interval_s = interval_s
        self._timeout_s = timeout_s
        self.healthy: bool | None = None
        self.runs = 0
        self._stopped = False

    async def check_once(self) -> bool:
        healthy = await self._answers()
        self.runs += 1
        if healthy != self.healthy:
            self.healthy = healthy
            _log.info("database probe", healthy=healthy)
            await self._on_change(healthy)
        return healthy

    async def run_forever(self) -> None:
        while not self._stopped:
            await self.check_once()
            await asyncio.sleep(self._interval_s)

    def stop(self) -> None:
        """End ``run_forever`` after the current check, even if a cancellation is lost."""
        self._stopped = True

    async def _answers(self) -> bool:
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
        # races with the ping finishing, which left shutdown waiting for this task forever.
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._ping()
        except Exception as error:  # any failure to answer means "not serving"
            if self.healthy is not False:
                _log.warning("database probe failed", error=repr(error))
            return False
        return True
