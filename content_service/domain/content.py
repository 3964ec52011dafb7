"""Content values and the rules a blob must pass before it is stored or looked up.

Pure: plain values in, plain values (or a ContentError) out. The content id is the lowercase
hex sha256 of the bytes, so an id names exactly one blob and re-uploads dedupe by themselves.
Every caller string is checked here, before anything reaches SQL (PostgreSQL refuses NUL in
text, and its error would otherwise be the caller's answer); values are echoed clipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from content_service.domain.errors import (
    ContentEmpty,
    ContentNotUtf8,
    ContentTooLarge,
    InvalidContentId,
    InvalidRequest,
)
from contracts import text
from contracts.ids import content_id_for, is_content_id

DEFAULT_CONTENT_TYPE = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Limits:
    """What one call may carry, in UTF-8 bytes; the defaults suit essays, prompts and rubrics.

    The one place for content_service's limits: the README's Limits table and the proto
    comments repeat these numbers.
    """

    max_content_bytes: int = 1024 * 1024
    max_batch_ids: int = 1000
    max_batch_bytes: int = 48 * 1024 * 1024
    max_request_id_bytes: int = 128
    max_content_type_bytes: int = 255


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


def normalise_content_type(content_type: str, *, limits: Limits) -> str:
    """Empty means UTF-8 plain text; otherwise keep the caller's spelling, trimmed."""
    _check("content_type", content_type, text.Rule(limits.max_content_type_bytes, one_line=True))
    return content_type.strip() or DEFAULT_CONTENT_TYPE


def is_text_type(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower().startswith("text/")


def validate_request_id(request_id: str, *, limits: Limits) -> str:
    _check("request_id", request_id, text.Rule(limits.max_request_id_bytes, one_line=True))
    return request_id


def validate_upload(data: bytes, content_type: str, *, limits: Limits) -> NewContent:
    """Check size, emptiness and (for text/*) the text rules, then name the bytes by sha256."""
    if not data:
        raise ContentEmpty("content is empty", field="content")
    if len(data) > limits.max_content_bytes:
        raise _too_large("content", f"{len(data)} bytes", limits.max_content_bytes)
    kind = normalise_content_type(content_type, limits=limits)
    if is_text_type(kind):
        _check_text(_decode_utf8(data))
    return NewContent(content_id_for(data), data, kind)


def _decode_utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContentNotUtf8(
            f"declared text but byte {exc.start} is not valid UTF-8", offset=str(exc.start)
        ) from None


def _check_text(essay: str) -> None:
    """Text goes on into prompts and PostgreSQL text columns: no controls, something visible."""
    bad = text.first_bad_character(essay)
    if bad is not None:
        at, char = bad
        offset = len(essay[:at].encode())
        code = f"U+{ord(char):04X}"
        raise InvalidRequest(
            f"content holds {code} at byte {offset} (character {at}); text may hold no "
            "control character but tab, line feed and carriage return",
            field="content", offset=str(offset), value=code,
        )
    if not text.has_visible(essay):
        raise ContentEmpty("content has no visible character", field="content")


def validate_content_id(value: str, field: str = "content_id") -> str:
    if not is_content_id(value):
        raise InvalidContentId(
            f"{field} must be 64 lowercase hex characters (a sha256); got {text.clip(value)}",
            field=field, value=text.clip(value),
        )
    return value


def distinct_ids(ids: Sequence[str], *, limits: Limits) -> list[str]:
    """Validated ids in order of first occurrence (duplicates are answered once)."""
    unique = list(dict.fromkeys(ids))
    if not unique:
        raise InvalidRequest("content_ids is required: name at least one id", field="content_ids")
    if len(unique) > limits.max_batch_ids:
        raise InvalidRequest(
            f"{len(unique)} distinct ids requested; the limit is {limits.max_batch_ids}",
            field="content_ids", limit=str(limits.max_batch_ids), value=str(len(unique)),
        )
    bad = next((i for i in unique if not is_content_id(i)), None)
    if bad is not None:
        validate_content_id(bad, f"content_ids[{list(ids).index(bad)}]")
    return unique


def assemble_batch(
    requested: Sequence[str], found: Mapping[str, StoredContent], *, limits: Limits
) -> BatchResult:
    """Found items in request order plus the ids that are not stored."""
    items = [found[i] for i in requested if i in found]
    total = sum(item.meta.size_bytes for item in items)
    if total > limits.max_batch_bytes:
        raise _too_large("content_ids", f"{total} bytes", limits.max_batch_bytes,
                         hint="; ask for fewer ids per call")
    return BatchResult(items, [i for i in requested if i not in found])


def _check(field: str, value: str, rule: text.Rule) -> None:
    """The mesh's text rule, refused in this service's own error types."""
    found = text.problem(field, value, rule)
    if found is not None:
        kind = ContentTooLarge if found.too_large else InvalidRequest
        raise kind(found.message, **found.metadata)


def _too_large(field: str, size: str, limit: int, hint: str = "") -> ContentTooLarge:
    return ContentTooLarge(f"{field} is {size}; the limit is {limit}{hint}",
                           field=field, limit=str(limit), value=size)
