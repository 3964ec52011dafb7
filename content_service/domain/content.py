"""Content values and the rules a blob must pass before it is stored or looked up.

Pure: plain values in, plain values (or a ContentError) out. The content id is the lowercase
hex sha256 of the bytes, so an id names exactly one blob and re-uploads dedupe by themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from content_service.domain.errors import (
    ContentEmpty,
    ContentNotUtf8,
    ContentTooLarge,
    InvalidContentId,
    InvalidRequest,
)
from contracts.ids import content_id_for, is_content_id

DEFAULT_CONTENT_TYPE = "text/plain; charset=utf-8"
MAX_CONTENT_TYPE_CHARS = 255
MAX_REQUEST_ID_CHARS = 128


@dataclass(frozen=True)
class Limits:
    """What one call may carry; the defaults suit essays, prompts and rubrics."""

    max_content_bytes: int = 1024 * 1024
    max_batch_ids: int = 1000
    max_batch_bytes: int = 48 * 1024 * 1024


@dataclass(frozen=True)
class NewContent:
    """A validated upload, ready for the repository."""

    content_id: str
    data: bytes
    content_type: str


@dataclass(frozen=True)
class ContentMeta:
    content_id: str
    size_bytes: int
    content_type: str
    created_at: datetime


@dataclass(frozen=True)
class StoredContent:
    meta: ContentMeta
    data: bytes


@dataclass(frozen=True)
class PutResult:
    meta: ContentMeta
    created: bool  # True only for the call (or request_id) that first stored the bytes
    replayed: bool = False  # the request_id was seen before: this is its original answer


@dataclass(frozen=True)
class BatchResult:
    items: list[StoredContent]
    missing_ids: list[str]


def normalise_content_type(content_type: str) -> str:
    """Empty means UTF-8 plain text; otherwise keep the caller's spelling, trimmed."""
    value = content_type.strip()
    if len(value) > MAX_CONTENT_TYPE_CHARS:
        raise InvalidRequest(f"content_type is longer than {MAX_CONTENT_TYPE_CHARS} characters")
    return value or DEFAULT_CONTENT_TYPE


def is_text_type(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower().startswith("text/")


def validate_request_id(request_id: str) -> str:
    if len(request_id) > MAX_REQUEST_ID_CHARS:
        raise InvalidRequest(f"request_id is longer than {MAX_REQUEST_ID_CHARS} characters")
    return request_id


def validate_upload(data: bytes, content_type: str, *, limits: Limits) -> NewContent:
    """Check size, emptiness and (for text/*) UTF-8, then name the bytes by their sha256."""
    if not data:
        raise ContentEmpty("content is empty")
    if len(data) > limits.max_content_bytes:
        raise ContentTooLarge(
            f"content is {len(data)} bytes; the limit is {limits.max_content_bytes}",
            size_bytes=str(len(data)), max_bytes=str(limits.max_content_bytes),
        )
    kind = normalise_content_type(content_type)
    if is_text_type(kind):
        _require_utf8(data)
    return NewContent(content_id_for(data), data, kind)


def _require_utf8(data: bytes) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContentNotUtf8(
            f"declared text but byte {exc.start} is not valid UTF-8", offset=str(exc.start)
        ) from None


def validate_content_id(value: str) -> str:
    if not is_content_id(value):
        raise InvalidContentId(
            "content_id must be 64 lowercase hex characters (a sha256)", content_id=value[:80]
        )
    return value


def distinct_ids(ids: Iterable[str], *, limits: Limits) -> list[str]:
    """Validated ids in order of first occurrence (duplicates are answered once)."""
    unique = list(dict.fromkeys(ids))
    if len(unique) > limits.max_batch_ids:
        raise InvalidRequest(
            f"{len(unique)} distinct ids requested; the limit is {limits.max_batch_ids}"
        )
    for content_id in unique:
        validate_content_id(content_id)
    return unique


def assemble_batch(
    requested: Sequence[str], found: Mapping[str, StoredContent], *, limits: Limits
) -> BatchResult:
    """Found items in request order plus the ids that are not stored."""
    items = [found[i] for i in requested if i in found]
    total = sum(item.meta.size_bytes for item in items)
    if total > limits.max_batch_bytes:
        raise InvalidRequest(
            f"the batch holds {total} bytes; the limit is {limits.max_batch_bytes}; "
            "ask for fewer ids per call"
        )
    return BatchResult(items, [i for i in requested if i not in found])
