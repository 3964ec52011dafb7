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
    """Lock a page of unpublished rows; other relays skip them (safe with many replicas)."""
    stmt = (
        select(outbox)
        .where(outbox.c.published_at.is_(None))
        .order_by(outbox.c.created_at, outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await conn.execute(stmt)).all())


async def mark_published(conn: AsyncConnection, event_ids: Sequence[str]) -> None:
    if event_ids:
        await conn.execute(
            update(outbox).where(outbox.c.id.in_(list(event_ids))).values(published_at=func.now())
        )


async def events_of(conn: AsyncConnection, batch_id: str) -> list[Row]:
    stmt = select(outbox).where(outbox.c.batch_id == batch_id).order_by(outbox.c.created_at)
    return list((await conn.execute(stmt)).all())
