"""Relay outbox rows to JetStream with Nats-Msg-Id = outbox id; safe in every replica.

Rows are claimed with FOR UPDATE SKIP LOCKED, published one by one in order, and marked in
the same transaction. A crash after publishing but before the commit republishes the same
ids, which JetStream's duplicate window drops.

No row can block the others. A failure that may pass (NATS away or reconnecting, no stream
answering, JetStream unavailable, a timeout) ends the page at that row: the rows already
published stay marked and the rest wait for the next round. Any other failure is the row's
own and would repeat for ever (over NATS's max_payload with its headers, a subject or header
NATS refuses, a row that does not decode): that row is dead-lettered with its reason, logged
and counted, and the page goes on (docs/events.md "Dead letters").
"""

from __future__ import annotations

import asyncio
import contextlib

import nats.errors
import nats.js.errors
import structlog
from nats.js import JetStreamContext
from sqlalchemy.engine import Row

from cj_service.adapters import outbox_repo
from cj_service.adapters.db import Database
from cj_service.metrics import Metrics
from contracts.streams import Namespace

log = structlog.get_logger("cj_service.outbox")
PAGE = 100
# Failures of the bus, not of the row: publishing the same row later may succeed.
_TRANSIENT = (
    OSError,  # TimeoutError included
    nats.errors.TimeoutError,
    nats.errors.NoRespondersError,
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionDrainingError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.StaleConnectionError,
    nats.errors.NoServersError,
    nats.js.errors.NoStreamResponseError,
    nats.js.errors.ServiceUnavailableError,
    nats.js.errors.ServerError,
)


class OutboxRelay:
    def __init__(
        self,
        js: JetStreamContext,
        db: Database,
        metrics: Metrics,
        *,
        namespace: Namespace,
        interval_s: float,
        max_payload: int,
    ) -> None:
        self._js = js
        self._db = db
        self._metrics = metrics
        self._ns = namespace
        self._interval = interval_s
        self._max_payload = max_payload
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
                settled = await self.relay_once()
            except Exception:
                log.exception("relay_failed")
                settled = 0
            if settled < PAGE:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._interval)
                self._wake.clear()

    async def relay_once(self) -> int:
        """One page; returns the rows settled (published or dead-lettered)."""
        async with self._db.transaction() as conn:
            rows = await outbox_repo.claim_unpublished(conn, limit=PAGE)
            sent, dead = await self._publish_page(rows)
            await outbox_repo.mark_published(conn, [r.id for r in sent])
            await outbox_repo.mark_dead(conn, {r.id: reason for r, reason in dead})
        for row in sent:
            self._metrics.outbox_published.labels(kind=_kind(row)).inc()
        for row, reason in dead:
            self._metrics.outbox_dead_lettered.labels(kind=_kind(row)).inc()
            log.error(
                "outbox_dead_lettered",
                event_id=row.id,
                batch_id=row.batch_id,
                kind=row.kind,
                reason=reason,
            )
        return len(sent) + len(dead)

    async def _publish_page(self, rows: list[Row]) -> tuple[list[Row], list[tuple[Row, str]]]:
        """Publish in order until a failure that may pass; (sent, [(dead, reason)])."""
        sent: list[Row] = []
        dead: list[tuple[Row, str]] = []
        for row in rows:
            try:
                reason = await self._publish(row)
            except _TRANSIENT as err:
                log.warning("relay_paused", event_id=row.id, kind=row.kind, error=repr(err))
                break
            if reason:
                dead.append((row, reason))
            else:
                sent.append(row)
        return sent, dead

    async def _publish(self, row: Row) -> str:
        """Publish one row: "" once published, else why it never can be (raises what may
        pass)."""
        try:
            size = outbox_repo.wire_size(len(row.payload), row.headers)
            if size > self._max_payload:
                return f"{size} bytes with its headers; the NATS max payload is {self._max_payload}"
            await self._js.publish(
                self._ns.subject(row.subject), row.payload, headers=dict(row.headers)
            )
        except _TRANSIENT:
            raise
        except Exception as err:
            return f"{type(err).__name__}: {err}"
        return ""


def _kind(row: Row) -> str:
    """The metric label: a result's further parts (result.2, ...) count as result."""
    return str(row.kind).partition(".")[0]
