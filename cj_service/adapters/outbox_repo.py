"""Transactional outbox: rows written with the state change, relayed to JetStream later.

A row the relay can never publish is dead-lettered (dead_at, dead_reason) and skipped from
then on; clearing dead_at replays it (docs/events.md "Dead letters").
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from google.protobuf.message import Message
from sqlalchemy import and_, func, select, text, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from cj_service.adapters.tables import outbox
from contracts import headers, ids

_PENDING = and_(outbox.c.published_at.is_(None), outbox.c.dead_at.is_(None))


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
    event_id = event_id_of(batch_id, kind)
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


def event_id_of(batch_id: str, kind: str) -> str:
    """The row id and Nats-Msg-Id of a batch's event of this kind: the same every time."""
    return ids.derived_id("cj-event", batch_id, kind)


def wire_size(payload_size: int, hdrs: Mapping[str, str]) -> int:
    """The bytes NATS counts against max_payload: the payload and the header block (a
    "NATS/1.0" line, a "key: value" line per header and an empty line, each ending in CRLF).
    nats-py checks only the payload; a message over the limit with its headers makes the
    server close the connection."""
    block = len(b"NATS/1.0\r\n\r\n") + sum(
        len(k.encode()) + len(v.encode()) + 4 for k, v in hdrs.items()
    )
    return payload_size + block


async def claim_unpublished(conn: AsyncConnection, *, limit: int) -> list[Row]:
    """Lock a page of unpublished live rows in the order they were written; other relays
    skip them (safe with many replicas). A batch's rows come after any earlier row of that
    batch another relay holds, so a batch's events are published in order (docs/events.md).
    Dead-lettered rows are neither claimed nor waited for."""
    stmt = (
        select(outbox)
        .where(_PENDING)
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
        _PENDING, outbox.c.batch_id.in_({r.batch_id for r in rows})
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


async def mark_dead(conn: AsyncConnection, reasons: Mapping[str, str]) -> None:
    """Dead-letter rows (event id -> why it can never be published)."""
    for event_id, reason in reasons.items():
        await conn.execute(
            update(outbox)
            .where(outbox.c.id == event_id)
            .values(dead_at=func.now(), dead_reason=reason)
        )


async def events_of(conn: AsyncConnection, batch_id: str) -> list[Row]:
    stmt = select(outbox).where(outbox.c.batch_id == batch_id).order_by(outbox.c.seq)
    return list((await conn.execute(stmt)).all())
