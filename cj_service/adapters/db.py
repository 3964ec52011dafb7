"""Engine and transaction helpers (SQLAlchemy 2 async + asyncpg).

The context managers are classes on purpose: generator-based ones (contextlib, and
AsyncEngine.begin) assign `__traceback__` on the exception passing through them, which fails
for the frozen-dataclass ServiceError that handlers raise inside transactions.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncTransaction,
    create_async_engine,
)


def create_engine(database_url: str, *, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
    )


class _Transaction:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._trans: AsyncTransaction | None = None

    async def __aenter__(self) -> AsyncConnection:
        self._conn = await self._engine.connect()
        try:
            self._trans = await self._conn.begin()
        except BaseException:
            await self._conn.close()
            raise
        return self._conn

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None and self._trans is not None
        try:
            if exc_type is None:
                await self._trans.commit()
            else:
                await self._trans.rollback()
        finally:
            await self._conn.close()


class Database:
    """Owns the engine; every unit of work is one `transaction()`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def transaction(self) -> _Transaction:
        return _Transaction(self.engine)

    def read(self) -> AsyncConnection:
        """A connection for reads (autobegin; rolled back on close)."""
        return self.engine.connect()

    async def dispose(self) -> None:
        await self.engine.dispose()
