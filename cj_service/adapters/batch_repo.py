"""Batch rows: insert, lock (the per-batch mutex every replica honours), update, page."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, text, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from cj_service.adapters.comparison_repo import any_of
from cj_service.adapters.tables import batch_essays, batches, fit_snapshots, request_ids
from cj_service.service.model import TERMINAL, ResolvedEssay


async def claim_request(
    conn: AsyncConnection, operation: str, request_id: str, *, fingerprint: str, batch_id: str
) -> bool:
    """Record a request id; False when another call already claimed it (a duplicate)."""
    stmt = text(
        "INSERT INTO request_ids (operation, request_id, fingerprint, batch_id) "
        "VALUES (:op, :rid, :fp, :bid) ON CONFLICT DO NOTHING RETURNING request_id"
    )
    result = await conn.execute(
        stmt, {"op": operation, "rid": request_id, "fp": fingerprint, "bid": batch_id}
    )
    return result.first() is not None


async def find_request(conn: AsyncConnection, operation: str, request_id: str) -> Row | None:
    stmt = select(request_ids).where(
        request_ids.c.operation == operation, request_ids.c.request_id == request_id
    )
    return (await conn.execute(stmt)).first()


async def insert_batch(
    conn: AsyncConnection, values: Mapping[str, Any], essays: Sequence[ResolvedEssay]
) -> None:
    await conn.execute(insert(batches).values(**values))
    rows = [
        {
            "batch_id": values["id"],
            "idx": i,
            "essay_id": e.essay_id,
            "display_name": e.display_name,
            "content_id": e.content_id,
            "text": e.text,
            "is_anchor": e.is_anchor,
            "anchor_grade": e.anchor_grade,
        }
        for i, e in enumerate(essays)
    ]
    if rows:
        await conn.execute(insert(batch_essays), rows)


async def get_batch(conn: AsyncConnection, batch_id: str) -> Row | None:
    return (await conn.execute(select(batches).where(batches.c.id == batch_id))).first()


async def lock_batch(
    conn: AsyncConnection, batch_id: str, *, skip_locked: bool = False
) -> Row | None:
    """SELECT ... FOR UPDATE: serialises every state-changing step of one batch across replicas."""
    stmt = select(batches).where(batches.c.id == batch_id).with_for_update(skip_locked=skip_locked)
    return (await conn.execute(stmt)).first()


async def lock_existing(conn: AsyncConnection, batch_id: str) -> Row:
    """lock_batch for a batch this transaction knows exists."""
    stmt = select(batches).where(batches.c.id == batch_id).with_for_update()
    return (await conn.execute(stmt)).one()


async def update_batch(conn: AsyncConnection, batch_id: str, **values: Any) -> Row:
    """Apply `values` (SQL expressions allowed), bump version and updated_at; return the row."""
    stmt = (
        update(batches)
        .where(batches.c.id == batch_id)
        .values(version=batches.c.version + 1, updated_at=func.now(), **values)
        .returning(batches)
    )
    return (await conn.execute(stmt)).one()


async def load_essays(
    conn: AsyncConnection, batch_id: str, *, with_text: bool = False
) -> list[Row]:
    cols = [c for c in batch_essays.c if with_text or c.name != "text"]
    stmt = select(*cols).where(batch_essays.c.batch_id == batch_id).order_by(batch_essays.c.idx)
    return list((await conn.execute(stmt)).all())


async def essay_texts(conn: AsyncConnection, batch_id: str, idxs: Iterable[int]) -> dict[int, str]:
    stmt = select(batch_essays.c.idx, batch_essays.c.text).where(
        batch_essays.c.batch_id == batch_id, any_of(batch_essays.c.idx, sorted(set(idxs)))
    )
    return {r.idx: r.text for r in await conn.execute(stmt)}


async def add_orientation(
    conn: AsyncConnection, batch_id: str, pairs: Sequence[tuple[int, int]]
) -> None:
    """Count how often each essay was shown as A and as B (for orientation balance)."""
    for column, position in (("times_a", 0), ("times_b", 1)):
        counts: dict[int, int] = {}
        for pair in pairs:
            counts[pair[position]] = counts.get(pair[position], 0) + 1
        if counts:
            await conn.execute(
                text(
                    f"UPDATE batch_essays SET {column} = {column} + v.n FROM "
                    "unnest(CAST(:idx AS int[]), CAST(:n AS int[])) AS v(i, n) "
                    "WHERE batch_id = :b AND idx = v.i"
                ),
                {"idx": list(counts), "n": list(counts.values()), "b": batch_id},
            )


async def insert_snapshot(conn: AsyncConnection, batch_id: str, **values: Any) -> None:
    await conn.execute(insert(fit_snapshots).values(batch_id=batch_id, **values))


async def snapshot_history(conn: AsyncConnection, batch_id: str) -> list[Row]:
    cols = [c for c in fit_snapshots.c if c.name not in ("scores", "ses")]
    stmt = select(*cols).where(fit_snapshots.c.batch_id == batch_id).order_by(fit_snapshots.c.id)
    return list((await conn.execute(stmt)).all())


async def page_batches(
    conn: AsyncConnection, *, limit: int, state: str = "", after: tuple[Any, str] | None = None
) -> list[Row]:
    """Newest first; `after` = (created_at, id) of the last row of the previous page."""
    stmt = select(batches).order_by(batches.c.created_at.desc(), batches.c.id.desc()).limit(limit)
    if state:
        stmt = stmt.where(batches.c.state == state)
    if after is not None:
        created, last_id = after
        stmt = stmt.where(
            or_(
                batches.c.created_at < created,
                and_(batches.c.created_at == created, batches.c.id < last_id),
            )
        )
    return list((await conn.execute(stmt)).all())


# ~31 years. A longer stored timeout took `now() - interval` out of PostgreSQL's timestamp
# range (3e11 s failed the query, so every batch's check, every round), and NaN or infinity
# is no interval at all; intake bounds both timeouts far below this.
MAX_TIMEOUT_S = 1_000_000_000


def _ago(column: str) -> str:
    """SQL for `now()` less the column's seconds, clamped so any stored value works."""
    return f"now() - make_interval(secs => LEAST(GREATEST({column}, 0), {MAX_TIMEOUT_S}))"


_LIVE = "state IN ('SUBMITTED', 'RUNNING')"
STALE = text(f"{_LIVE} AND progress_at < {_ago('stall_timeout_s')}")
IMPATIENT = text(
    f"{_LIVE} AND failed_since_verdict <> '{{}}'::jsonb "
    f"AND coalesce(verdict_at, created_at) < {_ago('provider_patience_s')}"
)


async def stalled_batch_ids(conn: AsyncConnection, *, limit: int = 100) -> list[str]:
    """Live batches whose last progress is older than their own stall timeout."""
    stmt = select(batches.c.id).where(STALE).order_by(batches.c.progress_at).limit(limit)
    return [r.id for r in await conn.execute(stmt)]


async def impatient_batch_ids(conn: AsyncConnection, *, limit: int = 100) -> list[str]:
    """Live batches with failures and no verdict for longer than their provider patience."""
    stmt = select(batches.c.id).where(IMPATIENT).order_by(batches.c.id).limit(limit)
    return [r.id for r in await conn.execute(stmt)]


async def uncancelled_batch_ids(
    conn: AsyncConnection, *, settle_s: float, within_s: float, limit: int = 100
) -> list[tuple[str, str, str]]:
    """(id, state, reason) of batches that ended between `within_s` and `settle_s` ago and
    whose comparisons llm_provider has not yet confirmed cancelling."""
    stmt = text(
        "SELECT id, state, failure_reason || completion_reason AS reason FROM batches "
        "WHERE NOT llm_cancelled AND state NOT IN ('SUBMITTED', 'RUNNING') "
        "AND finished_at BETWEEN now() - make_interval(secs => :within) "
        "AND now() - make_interval(secs => :settle) ORDER BY finished_at LIMIT :n"
    )
    rows = await conn.execute(stmt, {"within": within_s, "settle": settle_s, "n": limit})
    return [(r.id, r.state, r.reason) for r in rows]


async def mark_llm_cancelled(conn: AsyncConnection, batch_id: str) -> None:
    """llm_provider confirmed the batch's group cancelled (no version bump: not a change of
    the batch itself)."""
    stmt = update(batches).where(batches.c.id == batch_id).values(llm_cancelled=True)
    await conn.execute(stmt)


async def count_by_state(conn: AsyncConnection) -> dict[str, int]:
    stmt = select(batches.c.state, func.count()).group_by(batches.c.state)
    return {state: int(n) for state, n in await conn.execute(stmt)}


def is_terminal(batch: Row) -> bool:
    return batch.state in TERMINAL
