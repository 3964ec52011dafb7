"""Identifier helpers shared by the services."""

from __future__ import annotations

import hashlib
import re
import uuid

_CONTENT_ID = re.compile(r"[0-9a-f]{64}")


def content_id_for(data: bytes) -> str:
    """Content ids are the lowercase hex sha256 of the bytes, so re-uploads dedupe."""
    return hashlib.sha256(data).hexdigest()


def is_content_id(value: str) -> bool:
    return bool(_CONTENT_ID.fullmatch(value))  # match's $ would let a final newline in


def new_id() -> str:
    """A random, URL-safe, sortable-enough id (uuid4 hex) for batches, comparisons, outbox rows."""
    return uuid.uuid4().hex


def derived_id(*parts: str) -> str:
    """A deterministic id from its parts, for idempotent derived records (e.g. request ids)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)).hex
