"""Which PostgreSQL failures mean "the database is unavailable right now" (retryable: map to
UNAVAILABLE / NOT_SERVING) rather than a bug: refused or reset connections, a server shutting
down or starting up, a database not accepting connections, timeouts, an exhausted pool."""

from __future__ import annotations

import asyncpg
from sqlalchemy import exc as sa_exc

_DRIVER_DOWN: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,  # e.g. "the database system is shutting down"
    asyncpg.exceptions.ObjectNotInPrerequisiteStateError,
    asyncpg.exceptions.InvalidCatalogNameError,
    asyncpg.exceptions.TooManyConnectionsError,
)
_SQLALCHEMY_DOWN: tuple[type[BaseException], ...] = (
    sa_exc.TimeoutError,
    sa_exc.InterfaceError,
    sa_exc.OperationalError,
)


def is_unavailable(error: BaseException) -> bool:
    if isinstance(error, _DRIVER_DOWN + _SQLALCHEMY_DOWN):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        cause = error.orig.__cause__ if error.orig is not None else None
        return error.connection_invalidated or isinstance(cause, _DRIVER_DOWN)
    return False
