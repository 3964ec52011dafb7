"""The AssessmentRepository on PostgreSQL (table `batches` and its essays, snapshots and
request ids), bound to one connection of a unit of work.

A row maps onto the domain's Assessment field by field (the names are the columns'); the
serialized results are read and written apart. The module functions are the statements the
repository and the watchdog's tests share.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, text, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from cj_service.adapters import result_messages
from cj_service.adapters.comparison_repo import any_of
from cj_service.adapters.tables import batch_essays, batches, fit_snapshots, request_ids
from cj_service.domain.assessment import Assessment, State
from cj_service.service.workflow.model import ResolvedEssay
from cj_service.service.workflow.ports import AssessmentRepository
from cj_service.service.workflow.records import Claim, EssayEntry, Snapshot
from cj_service.service.workflow.results import FinalResults

FIELDS = tuple(f.name for f in dataclasses.fields(Assessment))
_COLUMNS = [batches.c[name] for name in FIELDS]
_BOOKKEEPING = frozenset({"id", "version", "updated_at"})  # the row's own, never a transition's
# ~31 years. A longer stored timeout took `now() - interval` out of PostgreSQL's timestamp
# range (3e11 s failed the query, so every batch's check, every round), and NaN or infinity
# is no interval at all; intake bounds both timeouts far below this.
MAX_TIMEOUT_S = 1_000_000_000


def _ago(column: str) -> str:
    """SQL for `now()` less the column's seconds, clamped so any stored value works."""
    return f"now() - make_interval(secs => LEAST(GREATEST({column}, 0), {MAX_TIMEOUT_S}))"


_LIVE = "state IN ('SUBMITTED', 'RUNNING')"
LIVE = text(_LIVE)
STALE = text(f"{_LIVE} AND progress_at < {_ago('stall_timeout_s')}")
IMPATIENT = text(
    f"{_LIVE} AND failed_since_verdict <> '{{}}'::jsonb "
    f"AND coalesce(verdict_at, created_at) < {_ago('provider_patience_s')}"
)


def assessment_of(row: Row) -> Assessment:
    values = {name: row._mapping[name] for name in FIELDS}
    return Assessment(
        **{
            **values,
            "state": State(values["state"]),
            "metadata": dict(values["metadata"] or {}),
            "failed_attempts": dict(values["failed_attempts"] or {}),
            "failed_since_verdict": dict(values["failed_since_verdict"] or {}),
            "no_truth_texts": tuple(values["no_truth_texts"] or ()),
        }
    )


def _column(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    return list(value) if isinstance(value, tuple) else value


async def get_batch(conn: AsyncConnection, batch_id: str) -> Row | None:
    """The whole row, results included."""
    return (await conn.execute(select(batches).where(batches.c.id == batch_id))).first()


async def lock_batch(
    conn: AsyncConnection, batch_id: str, *, skip_locked: bool = False, where: Any = None
) -> Assessment | None:
    """SELECT ... FOR UPDATE: serialises every state-changing step of one assessment across
    replicas. `where`: a further condition the row must meet (checked under the lock)."""
    stmt = select(*_COLUMNS).where(batches.c.id == batch_id)
    if where is not None:
        stmt = stmt.where(where)
    row = (await conn.execute(stmt.with_for_update(skip_locked=skip_locked))).first()
    return None if row is None else assessment_of(row)


async def stalled_batch_ids(conn: AsyncConnection, *, limit: int = 100) -> list[str]:
    """Live assessments whose last progress is older than their own stall timeout."""
    stmt = select(batches.c.id).where(STALE).order_by(batches.c.progress_at).limit(limit)
    return [r.id for r in await conn.execute(stmt)]


async def impatient_batch_ids(conn: AsyncConnection, *, limit: int = 100) -> list[str]:
    """Live assessments with failures and no verdict for longer than their provider patience."""
    stmt = select(batches.c.id).where(IMPATIENT).order_by(batches.c.id).limit(limit)
    return [r.id for r in await conn.execute(stmt)]


class SqlAssessments(AssessmentRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def _all(self, stmt: Any, params: dict[str, Any] | None = None) -> Sequence[Row]:
        return (await self._conn.execute(stmt, params)).all()

    async def add(self, assessment: Assessment, essays: Sequence[ResolvedEssay]) -> None:
        values = {n: _column(getattr(assessment, n)) for n in FIELDS if n != "version"}
        await self._conn.execute(insert(batches).values(**values))
        rows = [
            {"batch_id": assessment.id, "idx": i, "essay_id": e.essay_id,
             "display_name": e.display_name, "content_id": e.content_id, "text": e.text,
             "is_anchor": e.is_anchor, "anchor_grade": e.anchor_grade}
            for i, e in enumerate(essays)
        ]
        if rows:
            await self._conn.execute(insert(batch_essays), rows)

    async def get(self, assessment_id: str) -> Assessment | None:
        row = await get_batch(self._conn, assessment_id)
        return None if row is None else assessment_of(row)

    async def lock(self, assessment_id: str) -> Assessment | None:
        return await lock_batch(self._conn, assessment_id)

    async def lock_stalled(self, assessment_id: str) -> Assessment | None:
        return await lock_batch(self._conn, assessment_id, skip_locked=True, where=STALE)

    async def lock_live(self, assessment_id: str) -> Assessment | None:
        return await lock_batch(self._conn, assessment_id, skip_locked=True, where=LIVE)

    async def save(
        self, before: Assessment, after: Assessment, *, results: FinalResults | None = None
    ) -> Assessment:
        """Bumps version and updated_at; nothing changed, nothing written."""
        changed: dict[str, Any] = {
            n: _column(getattr(after, n))
            for n in FIELDS
            if n not in _BOOKKEEPING and getattr(after, n) != getattr(before, n)
        }
        if results is not None:
            changed["results"] = result_messages.message(results).SerializeToString()
        if not changed:
            return after
        stmt = (
            update(batches)
            .where(batches.c.id == after.id)
            .values(version=batches.c.version + 1, updated_at=func.now(), **changed)
            .returning(*_COLUMNS)
        )
        return assessment_of((await self._conn.execute(stmt)).one())

    async def results(self, assessment_id: str) -> bytes | None:
        stmt = select(batches.c.results).where(batches.c.id == assessment_id)
        return (await self._conn.execute(stmt)).scalar_one_or_none()

    async def essays(self, assessment_id: str) -> list[EssayEntry]:
        e = batch_essays.c
        stmt = (select(e.idx, e.essay_id, e.display_name, e.is_anchor, e.anchor_grade)
                .where(e.batch_id == assessment_id).order_by(e.idx))
        return [EssayEntry(*r) for r in await self._all(stmt)]

    async def essay_texts(self, assessment_id: str, idxs: Iterable[int]) -> dict[int, str]:
        stmt = select(batch_essays.c.idx, batch_essays.c.text).where(
            batch_essays.c.batch_id == assessment_id,
            any_of(batch_essays.c.idx, sorted(set(idxs))),
        )
        return {r.idx: r.text for r in await self._all(stmt)}

    async def add_orientation(
        self, assessment_id: str, pairs: Sequence[tuple[int, int]]
    ) -> None:
        for column, position in (("times_a", 0), ("times_b", 1)):
            counts: dict[int, int] = {}
            for pair in pairs:
                counts[pair[position]] = counts.get(pair[position], 0) + 1
            if counts:
                await self._conn.execute(
                    text(
                        f"UPDATE batch_essays SET {column} = {column} + v.n FROM "
                        "unnest(CAST(:idx AS int[]), CAST(:n AS int[])) AS v(i, n) "
                        "WHERE batch_id = :b AND idx = v.i"
                    ),
                    {"idx": list(counts), "n": list(counts.values()), "b": assessment_id},
                )

    async def add_snapshot(self, assessment_id: str, snapshot: Snapshot) -> None:
        values = snapshot._asdict()
        del values["created_at"]
        await self._conn.execute(insert(fit_snapshots).values(batch_id=assessment_id, **values))

    async def snapshots(self, assessment_id: str) -> list[Snapshot]:
        s = fit_snapshots.c
        stmt = (select(s.comparisons, s.reliability, s.ssr, s.position_bias, s.position_bias_se,
                       s.prior_sd, s.created_at)
                .where(s.batch_id == assessment_id).order_by(s.id))
        return [
            Snapshot(r.comparisons, r.reliability, r.ssr, r.position_bias, r.position_bias_se,
                     [], [], r.prior_sd, r.created_at)
            for r in await self._all(stmt)
        ]

    async def page(
        self, *, limit: int, state: str, after: tuple[datetime, str] | None
    ) -> list[Assessment]:
        stmt = select(*_COLUMNS).order_by(batches.c.created_at.desc(), batches.c.id.desc())
        if state:
            stmt = stmt.where(batches.c.state == state)
        if after is not None:
            created, last_id = after
            stmt = stmt.where(or_(
                batches.c.created_at < created,
                and_(batches.c.created_at == created, batches.c.id < last_id),
            ))
        return [assessment_of(r) for r in await self._all(stmt.limit(limit))]

    async def claim_request(
        self, operation: str, request_id: str, *, fingerprint: str, assessment_id: str
    ) -> bool:
        stmt = text(
            "INSERT INTO request_ids (operation, request_id, fingerprint, batch_id) "
            "VALUES (:op, :rid, :fp, :bid) ON CONFLICT DO NOTHING RETURNING request_id"
        )
        params = {"op": operation, "rid": request_id, "fp": fingerprint, "bid": assessment_id}
        return (await self._conn.execute(stmt, params)).first() is not None

    async def find_request(self, operation: str, request_id: str) -> Claim | None:
        r = request_ids.c
        stmt = select(r.fingerprint, r.batch_id).where(
            r.operation == operation, r.request_id == request_id)
        row = (await self._conn.execute(stmt)).first()
        return None if row is None else Claim(*row)

    async def stalled_ids(self) -> list[str]:
        return await stalled_batch_ids(self._conn)

    async def impatient_ids(self) -> list[str]:
        return await impatient_batch_ids(self._conn)

    async def uncancelled(
        self, *, settle_s: float, within_s: float, limit: int = 100
    ) -> list[tuple[str, str, str]]:
        stmt = text(
            "SELECT id, state, failure_reason || completion_reason AS reason FROM batches "
            "WHERE NOT llm_cancelled AND state NOT IN ('SUBMITTED', 'RUNNING') "
            "AND finished_at BETWEEN now() - make_interval(secs => :within) "
            "AND now() - make_interval(secs => :settle) ORDER BY finished_at LIMIT :n"
        )
        rows = await self._all(stmt, {"within": within_s, "settle": settle_s, "n": limit})
        return [(r.id, r.state, r.reason) for r in rows]

    async def mark_llm_cancelled(self, assessment_id: str) -> None:
        """No version bump: not a change of the assessment itself."""
        stmt = update(batches).where(batches.c.id == assessment_id).values(llm_cancelled=True)
        await self._conn.execute(stmt)

    async def count_by_state(self) -> dict[str, int]:
        stmt = select(batches.c.state, func.count()).group_by(batches.c.state)
        return {state: int(n) for state, n in await self._all(stmt)}

    async def in_flight_total(self) -> int:
        stmt = select(func.coalesce(func.sum(batches.c.comparisons_in_flight), 0)).where(LIVE)
        return int((await self._conn.execute(stmt)).scalar_one())
