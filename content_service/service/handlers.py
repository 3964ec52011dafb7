"""One function per command: validate with the domain, then ask the repository."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from content_service.domain import content as rules
from content_service.domain.content import (
    BatchResult,
    ContentMeta,
    Limits,
    PutResult,
    StoredContent,
)
from content_service.domain.errors import ContentNotFound
from content_service.service.ports import ContentRepository
from contracts.text import clip


@dataclass(frozen=True)
class PutContent:
    data: bytes
    content_type: str = ""
    request_id: str = ""


async def put_content(cmd: PutContent, *, repo: ContentRepository, limits: Limits) -> PutResult:
    request_id = rules.validate_request_id(cmd.request_id, limits=limits)
    upload = rules.validate_upload(cmd.data, cmd.content_type, limits=limits)
    return await repo.put(upload, request_id=request_id)


async def get_content(content_id: str, *, repo: ContentRepository) -> StoredContent:
    item = await repo.get(rules.validate_content_id(content_id))
    if item is None:
        raise _not_found(content_id)
    return item


async def batch_get_content(
    content_ids: Sequence[str], *, repo: ContentRepository, limits: Limits
) -> BatchResult:
    wanted = rules.distinct_ids(content_ids, limits=limits)
    found = await repo.get_many(wanted)
    return rules.assemble_batch(wanted, found, limits=limits)


async def stat_content(content_id: str, *, repo: ContentRepository) -> ContentMeta:
    meta = await repo.stat(rules.validate_content_id(content_id))
    if meta is None:
        raise _not_found(content_id)
    return meta


def _not_found(content_id: str) -> ContentNotFound:
    echo = clip(content_id)  # validated already; clipped all the same, as every echo is
    return ContentNotFound(f"no content is stored under {echo}", content_id=echo)
