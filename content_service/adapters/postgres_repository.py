"""ContentRepository on PostgreSQL: SQLAlchemy 2 async engine and pool, asyncpg driver.

Every call takes an AUTOCOMMIT connection from the SQLAlchemy pool and runs one hand-written
statement on the asyncpg connection beneath it: one round trip (no BEGIN/COMMIT around a
single statement, which is atomic anyway), no ORM rows, asyncpg's prepared-statement cache.
Put is idempotent by construction (INSERT ... ON CONFLICT DO NOTHING, see ``sql.PUT``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from content_service.adapters import sql
from content_service.adapters.db_errors import translate_errors
from content_service.domain.content import ContentMeta, NewContent, PutResult, StoredContent
from content_service.domain.errors import RequestIdConflict
from content_service.service.ports import ContentRepository
from contracts.text import clip

T = TypeVar("T")
Driver = Any  # an asyncpg.Connection


def _meta(row: Any, at: int = 0) -> ContentMeta:
    return ContentMeta(row[at], row[at + 1], row[at + 2], row[at + 3])


def _item(row: Any) -> StoredContent:
    return StoredContent(ContentMeta(row[0], row[1], row[2], row[3]), row[4])


class PostgresContentRepository(ContentRepository):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._reader = engine.execution_options(isolation_level="AUTOCOMMIT")
        # After a database restart every idle pooled socket is dead; one more try than the
        # pool holds is enough to reach a fresh connection.
        self._attempts = int(getattr(engine.pool, "size", lambda: 1)()) + 1

    async def put(self, content: NewContent, *, request_id: str) -> PutResult:
        return await self._run(lambda db: _put(db, content, request_id))

    async def get(self, content_id: str) -> StoredContent | None:
        row = await self._run(lambda db: db.fetchrow(sql.SELECT_ONE, content_id))
        return None if row is None else _item(row)

    async def get_many(self, content_ids: Sequence[str]) -> dict[str, StoredContent]:
        rows = await self._run(lambda db: db.fetch(sql.SELECT_MANY, list(content_ids)))
        return {row[0]: _item(row) for row in rows}

    async def stat(self, content_id: str) -> ContentMeta | None:
        row = await self._run(lambda db: db.fetchrow(sql.STAT, content_id))
        return None if row is None else _meta(row)

    async def ping(self) -> None:
        await self._run(lambda db: db.fetchval("SELECT 1"))

    async def _run(self, query: Callable[[Any], Awaitable[T]]) -> T:
        """Run ``query`` on a pooled asyncpg connection, once more per stale connection.

        Every query here is idempotent (Put included), so discarding a dead connection and
        asking again beats failing the caller. A socket that is closed fails at once, so the
        retries cost nothing while the database is really down (connecting fails instead).
        """
        async with translate_errors():
            for attempt in range(1, self._attempts + 1):
                try:
                    async with self._driver() as driver:
                        return await query(driver)
                except _StaleConnection as stale:
                    if attempt == self._attempts:
                        raise stale.__cause__ from None  # type: ignore[misc]
        raise AssertionError("unreachable")  # pragma: no cover

    @asynccontextmanager
    async def _driver(self) -> AsyncIterator[Any]:
        """The asyncpg connection under a pooled AUTOCOMMIT SQLAlchemy connection."""
        async with self._reader.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None  # a checked-out connection always has one
            try:
                yield driver
            except BaseException as exc:
                # SQLAlchemy did not see the driver fail, so a dead or half-cancelled socket
                # would go back to the pool; drop it instead (the pool reconnects on demand).
                closed = driver.is_closed()
                if closed or isinstance(exc, asyncio.CancelledError):
                    await conn.invalidate()
                if closed:
                    raise _StaleConnection() from exc
                raise


class _StaleConnection(Exception):
    """A pooled connection turned out to be closed (its cause is the driver's error)."""


async def _put(db: Driver, content: NewContent, request_id: str) -> PutResult:
    row = await db.fetchrow(
        sql.PUT, request_id, content.content_id, content.data, len(content.data),
        content.content_type,
    )
    if row["prior_content_id"] is not None:
        _check_same(request_id, bound_to=row["prior_content_id"], content_id=content.content_id)
        return PutResult(_meta(row, 3), row["prior_created"], replayed=True)
    if request_id and row["bound_created"] is None:
        # A concurrent call with this request_id committed first: answer as it was answered.
        return await _replay_committed(db, content, request_id)
    if row["content_id"] is None:
        # A concurrent call stored these bytes while we waited: read its committed row.
        return PutResult(_meta(await db.fetchrow(sql.STAT, content.content_id)), False)
    return PutResult(_meta(row, 3), row["fresh"])


async def _replay_committed(db: Driver, content: NewContent, request_id: str) -> PutResult:
    bound = await db.fetchrow(sql.FIND_REQUEST, request_id)
    _check_same(request_id, bound_to=bound["content_id"], content_id=content.content_id)
    meta = await db.fetchrow(sql.STAT, content.content_id)
    return PutResult(_meta(meta), bound["created"], replayed=True)


def _check_same(request_id: str, *, bound_to: str, content_id: str) -> None:
    if bound_to != content_id:
        raise RequestIdConflict(
            f"request_id {clip(request_id)!r} was already used to store different content",
            request_id=clip(request_id), stored_content_id=bound_to,
        )
