"""The Store on PostgreSQL: each unit of work is one connection (a transaction, or reads
rolled back on close) with the repositories bound to it."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from cj_service.adapters.batch_repo import SqlAssessments
from cj_service.adapters.comparison_repo import SqlComparisons
from cj_service.adapters.db import Database
from cj_service.adapters.events import SqlEventOutbox
from cj_service.service.workflow.ports import Store, UnitOfWork


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, conn: AsyncConnection, *, max_payload: int) -> None:
        self.assessments = SqlAssessments(conn)
        self.comparisons = SqlComparisons(conn)
        self.events = SqlEventOutbox(conn, max_payload=max_payload)


class _Unit:
    """A connection context (Database.transaction() or read()) yielding its unit of work."""

    def __init__(self, connection: Any, max_payload: int) -> None:
        self._connection = connection
        self._max_payload = max_payload

    async def __aenter__(self) -> UnitOfWork:
        conn = await self._connection.__aenter__()
        return SqlUnitOfWork(conn, max_payload=self._max_payload)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._connection.__aexit__(exc_type, exc, tb)


class SqlStore(Store):
    """`max_payload`: the NATS server's; every event is written to fit one message."""

    def __init__(self, db: Database, *, max_payload: int) -> None:
        self._db = db
        self._max_payload = max_payload

    def transaction(self) -> _Unit:
        return _Unit(self._db.transaction(), self._max_payload)

    def read(self) -> _Unit:
        return _Unit(self._db.read(), self._max_payload)
