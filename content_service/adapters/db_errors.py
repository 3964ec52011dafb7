"""Which database failures mean "the store is unavailable" (retryable) rather than a bug."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from content_service.domain.errors import StorageUnavailable
from contracts.postgres import is_unavailable


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
