"""Handlers over an in-memory repository: validation first, storage second, refusals named."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from content_service.domain.content import (
    ContentMeta,
    Limits,
    NewContent,
    PutResult,
    StoredContent,
)
from content_service.domain.errors import (
    ContentEmpty,
    ContentNotFound,
    InvalidContentId,
    InvalidRequest,
    RequestIdConflict,
)
from content_service.service import handlers
from content_service.service.ports import ContentRepository

LIMITS = Limits()


class InMemoryRepository(ContentRepository):
    """The port's contract in a dict; counts calls so tests can see what reached storage."""

    def __init__(self) -> None:
        self.items: dict[str, StoredContent] = {}
        self.requests: dict[str, tuple[str, bool]] = {}
        self.calls = 0

    async def put(self, content: NewContent, *, request_id: str) -> PutResult:
        self.calls += 1
        if request_id in self.requests:
            bound, created = self.requests[request_id]
            if bound != content.content_id:
                raise RequestIdConflict("conflict")
            return PutResult(self.items[bound].meta, created, replayed=True)
        created = content.content_id not in self.items
        if created:
            meta = ContentMeta(content.content_id, len(content.data), content.content_type,
                               datetime(2025, 1, 1, tzinfo=UTC))
            self.items[content.content_id] = StoredContent(meta, content.data)
        if request_id:
            self.requests[request_id] = (content.content_id, created)
        return PutResult(self.items[content.content_id].meta, created)

    async def get(self, content_id: str) -> StoredContent | None:
        self.calls += 1
        return self.items.get(content_id)

    async def get_many(self, content_ids: Sequence[str]) -> dict[str, StoredContent]:
        self.calls += 1
        return {i: self.items[i] for i in content_ids if i in self.items}

    async def stat(self, content_id: str) -> ContentMeta | None:
        self.calls += 1
        item = self.items.get(content_id)
        return item.meta if item else None

    async def ping(self) -> None:
        return None


async def test_put_then_get_returns_the_bytes():
    repo = InMemoryRepository()

    stored = await handlers.put_content(handlers.PutContent(b"essay"), repo=repo, limits=LIMITS)
    item = await handlers.get_content(stored.meta.content_id, repo=repo)

    assert stored.created and item.data == b"essay"


async def test_invalid_input_never_reaches_the_repository():
    repo = InMemoryRepository()

    with pytest.raises(ContentEmpty):
        await handlers.put_content(handlers.PutContent(b""), repo=repo, limits=LIMITS)
    with pytest.raises(InvalidContentId):
        await handlers.get_content("bad", repo=repo)
    with pytest.raises(InvalidContentId):
        await handlers.batch_get_content(["bad"], repo=repo, limits=LIMITS)
    for refused in (handlers.PutContent(b"a\x00b"), handlers.PutContent(b"ok", "text\x00"),
                    handlers.PutContent(b"ok", request_id="r\x00")):
        with pytest.raises(InvalidRequest):
            await handlers.put_content(refused, repo=repo, limits=LIMITS)

    assert repo.calls == 0


async def test_a_request_id_replays_and_conflicts_as_the_port_says():
    repo = InMemoryRepository()
    first = await handlers.put_content(
        handlers.PutContent(b"one", request_id="r1"), repo=repo, limits=LIMITS
    )

    replay = await handlers.put_content(
        handlers.PutContent(b"one", request_id="r1"), repo=repo, limits=LIMITS
    )
    with pytest.raises(RequestIdConflict):
        await handlers.put_content(
            handlers.PutContent(b"two", request_id="r1"), repo=repo, limits=LIMITS
        )

    assert (replay.meta, replay.created, replay.replayed) == (first.meta, True, True)


async def test_unknown_ids_are_not_found_for_get_and_stat():
    repo = InMemoryRepository()

    with pytest.raises(ContentNotFound) as caught:
        await handlers.get_content("0" * 64, repo=repo)
    with pytest.raises(ContentNotFound):
        await handlers.stat_content("0" * 64, repo=repo)
    assert caught.value.details == {"content_id": "0" * 64}


async def test_an_empty_batch_is_refused_without_touching_storage():
    repo = InMemoryRepository()

    with pytest.raises(InvalidRequest):
        await handlers.batch_get_content([], repo=repo, limits=LIMITS)

    assert repo.calls == 0


async def test_a_batch_reads_storage_once_for_many_ids():
    repo = InMemoryRepository()
    ids = [
        (await handlers.put_content(handlers.PutContent(f"e{i}".encode()), repo=repo,
                                    limits=LIMITS)).meta.content_id
        for i in range(5)
    ]
    repo.calls = 0

    result = await handlers.batch_get_content([*ids, "f" * 64], repo=repo, limits=LIMITS)

    assert repo.calls == 1
    assert [i.meta.content_id for i in result.items] == ids
    assert result.missing_ids == ["f" * 64]
