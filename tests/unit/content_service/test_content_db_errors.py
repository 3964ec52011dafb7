"""Which database failures count as "unavailable" (retryable) and which are bugs."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import exc as sa_exc

from content_service.adapters.db_errors import is_unavailable, translate_errors
from content_service.domain.errors import StorageUnavailable


@pytest.mark.parametrize("error", [
    ConnectionRefusedError("refused"),
    TimeoutError(),
    asyncpg.exceptions.ConnectionDoesNotExistError("gone"),
    asyncpg.exceptions.AdminShutdownError("terminated"),
    asyncpg.exceptions.ObjectNotInPrerequisiteStateError("not accepting connections"),
    sa_exc.TimeoutError("pool exhausted"),
])
def test_connection_failures_are_unavailable(error):
    assert is_unavailable(error)


@pytest.mark.parametrize("error", [
    asyncpg.exceptions.UniqueViolationError("dup"),
    asyncpg.exceptions.UndefinedTableError("no table"),
    ValueError("bug"),
])
def test_other_failures_are_not(error):
    assert not is_unavailable(error)


async def test_translate_errors_turns_only_outages_into_storage_unavailable():
    with pytest.raises(StorageUnavailable):
        async with translate_errors():
            raise ConnectionResetError("reset")
    with pytest.raises(ValueError):
        async with translate_errors():
            raise ValueError("bug")
