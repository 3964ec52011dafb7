"""Comparison rows: plan, dispatch bookkeeping, apply verdicts, and reads for fits and paging."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from cj_service.adapters.tables import comparisons
from cj_service.service.model import IN_FLIGHT, PlannedPair, Status
from contracts import ids

c = comparisons.c


def any_of(column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """column = ANY(one array parameter): an IN list of hundreds of ids (one bind parameter
    each) cost more to render in SQLAlchemy than to run in Postgres."""
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))


async def insert_planned(
    conn: AsyncConnection, batch_id: str, pairs: Sequence[PlannedPair]
) -> list[str]:
    """Persist planned comparisons as PENDING (before anything is sent); return their ids."""
    rows: list[dict[str, Any]] = [
        {
            "id": ids.new_id(),
            "batch_id": batch_id,
            "idx_a": p.idx_a,
            "idx_b": p.idx_b,
            "pair_attempt": p.pair_attempt,
            "chain": p.chain,
            "status": Status.PENDING.value,
        }
        for p in pairs
    ]
    if rows:
        await conn.execute(insert(comparisons), rows)
    return [r["id"] for r in rows]


async def by_ids(conn: AsyncConnection, comparison_ids: Sequence[str]) -> list[Row]:
    stmt = select(
        c.id, c.batch_id, c.status, c.submitted_at, c.created_at, c.idx_a, c.idx_b, c.chain
    ).where(any_of(c.id, comparison_ids))
    return list((await conn.execute(stmt)).all())


async def batch_of(conn: AsyncConnection, comparison_ids: Sequence[str]) -> dict[str, str]:
    """comparison id -> batch id, for the ids that exist."""
    stmt = select(c.id, c.batch_id).where(any_of(c.id, comparison_ids))
    return {r.id: r.batch_id for r in await conn.execute(stmt)}


# What a result records on its comparison, applied or late: who judged it and what it cost.
_SPEND: dict[str, Any] = {
    name: bindparam(name)
    for name in ("provider", "model", "prompt_tokens", "completion_tokens", "cache_read_tokens",
                 "cache_write_tokens", "cost_usd", "prompt_sha256", "attempts", "error")
}
_APPLY = (
    update(comparisons)
    .where(c.id == bindparam("cid"))
    .values(
        status=bindparam("new_status"),
        winner=bindparam("winner"),
        probability_a=bindparam("probability_a"),
        confidence=bindparam("confidence"),
        justification=bindparam("justification"),
        error_retryable=bindparam("error_retryable"),
        completed_at=func.now(),
        **_SPEND,
    )
)


async def apply_outcomes(conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Write verdicts/errors; the caller holds the batch lock and checked each row is in flight."""
    if rows:
        await conn.execute(_APPLY, [dict(r) for r in rows])


_LATE = (
    update(comparisons)
    .where(c.id == bindparam("cid"), c.status == Status.ABANDONED.value, c.attempts == 0)
    .values(**_SPEND)
    .returning(c.id)
)


async def record_late(conn: AsyncConnection, row: Mapping[str, Any]) -> bool:
    """Record a late result's spend on its ABANDONED comparison (status unchanged); False
    when one was recorded already (attempts > 0), so a redelivery is not counted twice."""
    return (await conn.execute(_LATE, dict(row))).first() is not None


async def mark_submitted(conn: AsyncConnection, comparison_ids: Sequence[str]) -> int:
    stmt = (
        update(comparisons)
        .where(any_of(c.id, comparison_ids), c.status == Status.PENDING.value)
        .values(status=Status.SUBMITTED.value, submitted_at=func.now())
    )
    return (await conn.execute(stmt)).rowcount


async def abandon_in_flight(conn: AsyncConnection, batch_id: str) -> int:
    stmt = (
        update(comparisons)
        .where(c.batch_id == batch_id, c.status.in_(IN_FLIGHT))
        .values(status=Status.ABANDONED.value, completed_at=func.now())
    )
    return (await conn.execute(stmt)).rowcount


async def pending(conn: AsyncConnection, batch_id: str, *, limit: int) -> list[Row]:
    stmt = (
        select(c.id, c.idx_a, c.idx_b)
        .where(c.batch_id == batch_id, c.status == Status.PENDING.value)
        .order_by(c.seq)
        .limit(limit)
    )
    return list((await conn.execute(stmt)).all())


async def batches_with_old_pending(conn: AsyncConnection, *, older_than_s: float) -> list[str]:
    stmt = text(
        "SELECT DISTINCT batch_id FROM comparisons WHERE status = 'PENDING' "
        "AND created_at < now() - make_interval(secs => :s)"
    )
    return [r.batch_id for r in await conn.execute(stmt, {"s": older_than_s})]


async def open_rows(conn: AsyncConnection, batch_id: str) -> list[Row]:
    """Every comparison not yet JUDGED (pair, status, retry state, chain), in seq order: the
    planning history; the judged ones the caller already holds as verdicts."""
    stmt = (
        select(
            c.id,
            c.idx_a,
            c.idx_b,
            c.status,
            c.pair_attempt,
            c.requeued,
            c.error_retryable,
            c.chain,
        )
        .where(c.batch_id == batch_id, c.status != Status.JUDGED.value)
        .order_by(c.seq)
    )
    return list((await conn.execute(stmt)).all())


async def mark_requeued(conn: AsyncConnection, comparison_ids: Sequence[str]) -> None:
    if comparison_ids:
        await conn.execute(
            update(comparisons).where(any_of(c.id, comparison_ids)).values(requeued=True)
        )


async def judged(conn: AsyncConnection, batch_id: str) -> list[Row]:
    """Verdicts for a fit, in a stable order."""
    stmt = (
        select(c.idx_a, c.idx_b, c.winner, c.probability_a, c.provider, c.model, c.chain)
        .where(c.batch_id == batch_id, c.status == Status.JUDGED.value)
        .order_by(c.seq)
    )
    return list((await conn.execute(stmt)).all())


async def usage_by_model(conn: AsyncConnection, batch_id: str) -> list[Row]:
    """Spend per provider/model over every comparison that produced a result."""
    stmt = (
        select(
            c.provider,
            c.model,
            func.count().label("calls"),
            func.sum(c.prompt_tokens).label("prompt_tokens"),
            func.sum(c.completion_tokens).label("completion_tokens"),
            func.sum(c.cache_read_tokens).label("cache_read_tokens"),
            func.sum(c.cache_write_tokens).label("cache_write_tokens"),
            func.sum(c.cost_usd).label("cost_usd"),
        )
        .where(c.batch_id == batch_id, c.status.in_([Status.JUDGED.value, Status.FAILED.value]))
        .group_by(c.provider, c.model)
        .order_by(c.provider, c.model)
    )
    return list((await conn.execute(stmt)).all())


async def page(conn: AsyncConnection, batch_id: str, *, after_seq: int, limit: int) -> list[Row]:
    stmt = (
        select(comparisons)
        .where(c.batch_id == batch_id, c.seq > after_seq)
        .order_by(c.seq)
        .limit(limit)
    )
    return list((await conn.execute(stmt)).all())


async def count_status(conn: AsyncConnection, batch_id: str, status: str) -> int:
    stmt = select(func.count()).where(c.batch_id == batch_id, c.status == status)
    return int((await conn.execute(stmt)).scalar_one())
