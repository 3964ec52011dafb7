"""Relay outbox rows to JetStream with Nats-Msg-Id = outbox id; safe in every replica.

Rows are claimed with FOR UPDATE SKIP LOCKED, published, and marked in the same transaction.
A crash after publishing but before the commit republishes the same ids, which JetStream's
duplicate window drops.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from nats.js import JetStreamContext

from cj_service.adapters import outbox_repo
from cj_service.adapters.db import Database
from cj_service.metrics import Metrics
from contracts.streams import Namespace

log = structlog.get_logger("cj_service.outbox")
PAGE = 100


class OutboxRelay:
    def __init__(
        self,
        js: JetStreamContext,
        db: Database,
        metrics: Metrics,
        *,
        namespace: Namespace,
        interval_s: float,
    ) -> None:
        self._js = js
        self._db = db
        self._metrics = metrics
        self._ns = namespace
        self._interval = interval_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    def notify(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="cj-outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            try:
                sent = await self.relay_once()
            except Exception:
                log.exception("relay_failed")
                sent = 0
            if sent < PAGE:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._interval)
                self._wake.clear()

    async def relay_once(self) -> int:
        async with self._db.transaction() as conn:
            rows = await outbox_repo.claim_unpublished(conn, limit=PAGE)
            for row in rows:
                await self._js.publish(
                    self._ns.subject(row.subject), row.payload, headers=dict(row.headers)
                )
            await outbox_repo.mark_published(conn, [r.id for r in rows])
        for row in rows:
            self._metrics.outbox_published.labels(kind=row.kind).inc()
        return len(rows)
