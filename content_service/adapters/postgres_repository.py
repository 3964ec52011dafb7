"""ContentRepository on PostgreSQL: SQLAlchemy 2 async engine and pool, asyncpg driver.

Puts run as a SQLAlchemy Core transaction (INSERT ... ON CONFLICT DO NOTHING, so a burst of
identical uploads stores one row and every caller succeeds). Reads take an AUTOCOMMIT
connection from the same pool and call asyncpg directly: one round trip per read (no
BEGIN/ROLLBACK), no ORM rows, and asyncpg's prepared-statement cache on the hot path.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from content_service.adapters.db_errors import translate_errors
from content_service.domain.content import ContentMeta, NewContent, PutResult, StoredContent
from content_service.domain.errors import RequestIdConflict
from content_service.service.ports import ContentRepository

T = TypeVar("T")

_META = "content_id, size_bytes, content_type, created_at"
_SELECT_ONE = f"SELECT {_META}, content FROM content_items WHERE content_id = $1"
_SELECT_MANY = f"SELECT {_META}, content FROM content_items WHERE content_id = ANY($1::text[])"
_STAT = f"SELECT {_META} FROM content_items WHERE content_id = $1"

_INSERT_CONTENT = text(
    "INSERT INTO content_items (content_id, content, size_bytes, content_type) "
    "VALUES (:content_id, :content, :size_bytes, :content_type) "
    f"ON CONFLICT (content_id) DO NOTHING RETURNING {_META}"
)
_STAT_TEXT = text(f"SELECT {_META} FROM content_items WHERE content_id = :content_id")
_FIND_REQUEST = text(
    "SELECT content_id, created FROM put_requests WHERE request_id = :request_id"
)
_INSERT_REQUEST = text(
    "INSERT INTO put_requests (request_id, content_id, created) "
    "VALUES (:request_id, :content_id, :created) "
    "ON CONFLICT (request_id) DO NOTHING RETURNING created"
)


def _meta(row: Any) -> ContentMeta:
    return ContentMeta(row[0], row[1], row[2], row[3])


def _item(row: Any) -> StoredContent:
    return StoredContent(ContentMeta(row[0], row[1], row[2], row[3]), row[4])


class PostgresContentRepository(ContentRepository):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._reader = engine.execution_options(isolation_level="AUTOCOMMIT")

    async def put(self, content: NewContent, *, request_id: str) -> PutResult:
        async with translate_errors(), self._engine.begin() as conn:
            if request_id:
                replay = await _replay(conn, request_id, content.content_id)
                if replay is not None:
                    return replay
            result = await _insert_content(conn, content)
            if request_id:
                result = await _bind_request(conn, request_id, result)
            return result

    async def get(self, content_id: str) -> StoredContent | None:
        row = await self._read(lambda db: db.fetchrow(_SELECT_ONE, content_id))
        return None if row is None else _item(row)

    async def get_many(self, content_ids: Sequence[str]) -> dict[str, StoredContent]:
        rows = await self._read(lambda db: db.fetch(_SELECT_MANY, list(content_ids)))
        return {row[0]: _item(row) for row in rows}

    async def stat(self, content_id: str) -> ContentMeta | None:
        row = await self._read(lambda db: db.fetchrow(_STAT, content_id))
        return None if row is None else _meta(row)

    async def ping(self) -> None:
        await self._read(lambda db: db.fetchval("SELECT 1"), attempts=2)

    async def _read(self, query: Callable[[Any], Awaitable[T]], *, attempts: int = 3) -> T:
        """Run ``query`` on a pooled asyncpg connection, once more per stale connection.

        After a database restart every pooled socket is dead; reads are idempotent, so
        discarding the dead one and asking again beats failing the caller.
        """
        async with translate_errors():
            for attempt in range(1, attempts + 1):
                try:
                    async with self._driver() as driver:
                        return await query(driver)
                except _StaleConnection as stale:
                    if attempt == attempts:
                        raise stale.__cause__ from None  # type: ignore[misc]
        raise AssertionError("unreachable")  # pragma: no cover

    @asynccontextmanager
    async def _driver(self) -> AsyncIterator[Any]:
        """The asyncpg connection under a pooled AUTOCOMMIT SQLAlchemy connection."""
        async with self._reader.connect() as conn:
            raw = await conn.get_raw_connection()
            try:
                yield raw.driver_connection
            except BaseException as exc:
                # SQLAlchemy did not see the driver fail, so a dead or half-cancelled socket
                # would go back to the pool; drop it instead (the pool reconnects on demand).
                closed = raw.driver_connection.is_closed()
                if closed or isinstance(exc, asyncio.CancelledError):
                    await conn.invalidate()
                if closed:
                    raise _StaleConnection() from exc
                raise


class _StaleConnection(Exception):
    """A pooled connection turned out to be closed (its cause is the driver's error)."""


async def _replay(conn: AsyncConnection, request_id: str, content_id: str) -> PutResult | None:
    """The original answer for a request_id seen before, or None when it is new."""
    row = (await conn.execute(_FIND_REQUEST, {"request_id": request_id})).first()
    if row is None:
        return None
    _check_same(request_id, bound_to=row[0], content_id=content_id)
    meta = (await conn.execute(_STAT_TEXT, {"content_id": content_id})).one()
    return PutResult(_meta(meta), bool(row[1]), replayed=True)


async def _insert_content(conn: AsyncConnection, content: NewContent) -> PutResult:
    params = {
        "content_id": content.content_id, "content": content.data,
        "size_bytes": len(content.data), "content_type": content.content_type,
    }
    row = (await conn.execute(_INSERT_CONTENT, params)).first()
    if row is not None:
        return PutResult(_meta(row), True)
    # Someone stored these bytes first (maybe a moment ago, in a transaction we waited on).
    existing = (await conn.execute(_STAT_TEXT, {"content_id": content.content_id})).one()
    return PutResult(_meta(existing), False)


async def _bind_request(conn: AsyncConnection, request_id: str, result: PutResult) -> PutResult:
    params = {
        "request_id": request_id, "content_id": result.meta.content_id, "created": result.created
    }
    if (await conn.execute(_INSERT_REQUEST, params)).first() is not None:
        return result
    # A concurrent call with the same request_id won the insert; answer as it did.
    row = (await conn.execute(_FIND_REQUEST, {"request_id": request_id})).one()
    _check_same(request_id, bound_to=row[0], content_id=result.meta.content_id)
    return PutResult(result.meta, bool(row[1]), replayed=True)


def _check_same(request_id: str, *, bound_to: str, content_id: str) -> None:
    if bound_to != content_id:
        raise RequestIdConflict(
            f"request_id {request_id!r} was already used to store different content",
            request_id=request_id, stored_content_id=bound_to,
        )
