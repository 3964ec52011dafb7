"""The ComparisonRepository on PostgreSQL: plan, dispatch bookkeeping, record verdicts, and
the reads for fits and paging, bound to one connection of a unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from cj_service.adapters.tables import comparisons
from cj_service.service.workflow.model import IN_FLIGHT, PlannedPair, Status
from cj_service.service.workflow.ports import ComparisonRepository
from cj_service.service.workflow.records import (
    LateSpend,
    ModelSpend,
    OpenComparison,
    Pending,
    Recorded,
    Sent,
    StoredComparison,
    Verdict,
)
from contracts import ids

c = comparisons.c


def any_of(column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """column = ANY(one array parameter): an IN list of hundreds of ids (one bind parameter
    each) cost more to render in SQLAlchemy than to run in Postgres."""
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))


# What a result records on its comparison, applied or late: who judged it and what it cost.
_SPEND: dict[str, Any] = {
    name: bindparam(name)
    for name in ("provider", "model", "prompt_tokens", "completion_tokens", "cache_read_tokens",
                 "cache_write_tokens", "cost_usd", "prompt_sha256", "attempts", "error")
}
_RECORD = (
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
_LATE = (
    update(comparisons)
    .where(c.id == bindparam("cid"), c.status == Status.ABANDONED.value, c.attempts == 0)
    .values(**_SPEND)
    .returning(c.id)
)
_OPEN = (c.id, c.idx_a, c.idx_b, c.status, c.pair_attempt, c.requeued, c.error_retryable, c.chain)
_STORED = (c.seq, c.id, c.idx_a, c.idx_b, c.status, c.winner, c.probability_a, c.confidence,
           c.justification, c.provider, c.model, c.prompt_tokens, c.completion_tokens,
           c.cache_read_tokens, c.cache_write_tokens, c.cost_usd, c.prompt_sha256, c.attempts,
           c.error, c.created_at, c.completed_at)


class SqlComparisons(ComparisonRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def _all(self, stmt: Any, params: Any = None) -> Sequence[Row]:
        return (await self._conn.execute(stmt, params)).all()

    async def add_planned(self, assessment_id: str, pairs: Sequence[PlannedPair]) -> None:
        rows = [
            {"id": ids.new_id(), "batch_id": assessment_id, "idx_a": p.idx_a, "idx_b": p.idx_b,
             "pair_attempt": p.pair_attempt, "chain": p.chain, "status": Status.PENDING.value}
            for p in pairs
        ]
        if rows:
            await self._conn.execute(insert(comparisons), rows)

    async def mark_requeued(self, comparison_ids: Sequence[str]) -> None:
        if comparison_ids:
            stmt = update(comparisons).where(any_of(c.id, comparison_ids)).values(requeued=True)
            await self._conn.execute(stmt)

    async def sent(self, comparison_ids: Sequence[str]) -> list[Sent]:
        stmt = select(c.id, c.batch_id, c.status, c.submitted_at, c.created_at, c.idx_a, c.idx_b,
                      c.chain).where(any_of(c.id, comparison_ids))
        return [Sent(*r) for r in await self._all(stmt)]

    async def owners(self, comparison_ids: Sequence[str]) -> dict[str, str]:
        stmt = select(c.id, c.batch_id).where(any_of(c.id, comparison_ids))
        return {r.id: r.batch_id for r in await self._all(stmt)}

    async def record(self, outcomes: Sequence[Recorded]) -> None:
        if outcomes:
            await self._conn.execute(_RECORD, [o._asdict() for o in outcomes])

    async def record_late(self, spend: LateSpend) -> bool:
        return (await self._conn.execute(_LATE, spend._asdict())).first() is not None

    async def mark_submitted(self, comparison_ids: Sequence[str]) -> None:
        stmt = (
            update(comparisons)
            .where(any_of(c.id, comparison_ids), c.status == Status.PENDING.value)
            .values(status=Status.SUBMITTED.value, submitted_at=func.now())
        )
        await self._conn.execute(stmt)

    async def abandon_in_flight(self, assessment_id: str) -> None:
        stmt = (
            update(comparisons)
            .where(c.batch_id == assessment_id, c.status.in_(IN_FLIGHT))
            .values(status=Status.ABANDONED.value, completed_at=func.now())
        )
        await self._conn.execute(stmt)

    async def pending(self, assessment_id: str, *, limit: int) -> list[Pending]:
        stmt = (
            select(c.id, c.idx_a, c.idx_b)
            .where(c.batch_id == assessment_id, c.status == Status.PENDING.value)
            .order_by(c.seq)
            .limit(limit)
        )
        return [Pending(*r) for r in await self._all(stmt)]

    async def with_old_pending(self, *, older_than_s: float) -> list[str]:
        stmt = text(
            "SELECT DISTINCT batch_id FROM comparisons WHERE status = 'PENDING' "
            "AND created_at < now() - make_interval(secs => :s)"
        )
        return [r.batch_id for r in await self._all(stmt, {"s": older_than_s})]

    async def open(self, assessment_id: str) -> list[OpenComparison]:
        stmt = (select(*_OPEN).where(c.batch_id == assessment_id, c.status != Status.JUDGED.value)
                .order_by(c.seq))
        return [OpenComparison(*r) for r in await self._all(stmt)]

    async def judged(self, assessment_id: str) -> list[Verdict]:
        stmt = (
            select(c.idx_a, c.idx_b, c.winner, c.probability_a, c.provider, c.model, c.chain)
            .where(c.batch_id == assessment_id, c.status == Status.JUDGED.value)
            .order_by(c.seq)
        )
        return [Verdict(*r) for r in await self._all(stmt)]

    async def usage_by_model(self, assessment_id: str) -> list[ModelSpend]:
        tokens = (c.prompt_tokens, c.completion_tokens, c.cache_read_tokens, c.cache_write_tokens)
        stmt = (
            select(c.provider, c.model, func.count(), *(func.sum(t) for t in tokens),
                   func.sum(c.cost_usd))
            .where(c.batch_id == assessment_id,
                   c.status.in_([Status.JUDGED.value, Status.FAILED.value]))
            .group_by(c.provider, c.model)
            .order_by(c.provider, c.model)
        )
        return [
            ModelSpend(provider=r[0], model=r[1], calls=int(r[2]), prompt_tokens=int(r[3] or 0),
                       completion_tokens=int(r[4] or 0), cache_read_tokens=int(r[5] or 0),
                       cache_write_tokens=int(r[6] or 0), cost_usd=float(r[7] or 0.0))
            for r in await self._all(stmt)
        ]

    async def page(
        self, assessment_id: str, *, after_seq: int, limit: int
    ) -> list[StoredComparison]:
        stmt = (select(*_STORED).where(c.batch_id == assessment_id, c.seq > after_seq)
                .order_by(c.seq).limit(limit))
        return [StoredComparison(*r) for r in await self._all(stmt)]

    async def count_status(self, assessment_id: str, status: str) -> int:
        stmt = select(func.count()).where(c.batch_id == assessment_id, c.status == status)
        return int((await self._conn.execute(stmt)).scalar_one())
