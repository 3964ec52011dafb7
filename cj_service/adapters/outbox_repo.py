"""Transactional outbox: rows written with the state change, relayed to JetStream later."""

from __future__ import annotations

import json
from collections.abc import Sequence

from google.protobuf.message import Message
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from cj_service.adapters.tables import outbox
from contracts import headers, ids


async def add_event(
    conn: AsyncConnection,
    *,
    batch_id: str,
    kind: str,
    subject: str,
    message: Message,
    correlation_id: str = "",
) -> str:
    """Insert one event; unique (batch_id, kind) makes a second one of a kind impossible.

    ON CONFLICT DO NOTHING: a replayed step that reaches this point again is a no-op.
    """
    event_id = ids.derived_id("cj-event", batch_id, kind)
    payload, hdrs = headers.encode(message, msg_id=event_id, correlation_id=correlation_id)
    stmt = text(
        "INSERT INTO outbox (id, batch_id, kind, subject, schema, payload, headers) "
        "VALUES (:id, :b, :k, :s, :schema, :p, CAST(:h AS jsonb)) ON CONFLICT DO NOTHING"
    )

    await conn.execute(
        stmt,
        {
            "id": event_id,
            "b": batch_id,
            "k": kind,
            "s": subject,
            "schema": message.DESCRIPTOR.full_name,
            "p": payload,
            "h": json.dumps(hdrs),
        },
    )
    return event_id


async def claim_unpublished(conn: AsyncConnection, *, limit: int) -> list[Row]:
    """Lock a page of unpublished rows in the order they were written; other relays skip
    them (safe with many replicas). A batch's rows come after any earlier row of that batch
    another relay holds, so a batch's events are published in order (docs/events.md)."""
    stmt = (
        select(outbox)
        .where(outbox.c.published_at.is_(None))
        .order_by(outbox.c.seq)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return await _in_order(conn, list((await conn.execute(stmt)).all()))


async def _in_order(conn: AsyncConnection, rows: list[Row]) -> list[Row]:
    """The claimed rows that no unpublished row of their batch outside the claim precedes."""
    if not rows:
        return rows
    mine = {r.id for r in rows}
    stmt = select(outbox.c.id, outbox.c.batch_id, outbox.c.seq).where(
        outbox.c.published_at.is_(None), outbox.c.batch_id.in_({r.batch_id for r in rows})
    )
    first_foreign: dict[str, int] = {}
    for other in (await conn.execute(stmt)).all():
        if other.id not in mine:
            seen = first_foreign.get(other.batch_id, other.seq)
            first_foreign[other.batch_id] = min(seen, other.seq)
    return [r for r in rows if r.seq < first_foreign.get(r.batch_id, r.seq + 1)]


async def mark_published(conn: AsyncConnection, event_ids: Sequence[str]) -> None:
    if event_ids:
        await conn.execute(
            update(outbox).where(outbox.c.id.in_(list(event_ids))).values(published_at=func.now())
        )


async def events_of(conn: AsyncConnection, batch_id: str) -> list[Row]:
    stmt = select(outbox).where(outbox.c.batch_id == batch_id).order_by(outbox.c.seq)
    return list((await conn.execute(stmt)).all())
