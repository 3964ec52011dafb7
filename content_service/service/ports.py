"""The repository port the handlers depend on; adapters and test fakes subclass it."""

from __future__ import annotations

import abc
from collections.abc import Sequence

from content_service.domain.content import ContentMeta, NewContent, PutResult, StoredContent


class ContentRepository(abc.ABC):
    """Storage of content blobs and of the request ids that made Put calls idempotent.

    Implementations raise ``StorageUnavailable`` when the store cannot be reached.
    """

    @abc.abstractmethod
    async def put(self, content: NewContent, *, request_id: str) -> PutResult:
        """Store ``content`` unless present; bind a non-empty ``request_id`` to it.

        Raises ``RequestIdConflict`` when ``request_id`` is already bound to other bytes.
        A replayed ``request_id`` returns the answer its first call got.
        """

    @abc.abstractmethod
    async def get(self, content_id: str) -> StoredContent | None: ...

    @abc.abstractmethod
    async def get_many(self, content_ids: Sequence[str]) -> dict[str, StoredContent]:
        """Every stored item among ``content_ids``, keyed by id, in one round trip."""

    @abc.abstractmethod
    async def stat(self, content_id: str) -> ContentMeta | None: ...

    @abc.abstractmethod
    async def ping(self) -> None:
        """Return when the store answers; raise ``StorageUnavailable`` otherwise."""
