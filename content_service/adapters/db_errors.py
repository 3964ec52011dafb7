"""Which database failures mean "the store is unavailable" (retryable) rather than a bug."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy import exc as sa_exc

from content_service.domain.errors import StorageUnavailable

# Connection-level failures: refused/reset sockets, timeouts, a backend that was terminated
# or shut down, a database not accepting connections, a pool with no free connection.
_DRIVER_DOWN: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
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


@asynccontextmanager
async def translate_errors() -> AsyncIterator[None]:
    """Re-raise connection-level failures as StorageUnavailable; let the rest through."""
    try:
        yield
    except Exception as error:
        if is_unavailable(error):
            raise StorageUnavailable(
                f"the content database is unavailable: {type(error).__name__}"
            ) from error
        raise
