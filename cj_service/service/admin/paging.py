"""Opaque page tokens and page sizes for the admin list RPCs.

A token is urlsafe base64 of a small JSON object holding the last key of the previous page
and the filter it was made for, so a token reused with another filter is refused instead of
silently skipping rows. A token comes back from the caller, so it is checked like any input:
its size, its JSON, and the type and characters of the key before it reaches SQL.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from cj_service.service import limits
from contracts import text
from contracts.errors import invalid_argument
from contracts.text import Rule

_KEY = Rule(limits.PAGE_TOKEN_BYTES)  # any text PostgreSQL takes (no NUL, no controls)


def is_key(position: Any) -> bool:
    """A string fit to compare with a text column."""
    return isinstance(position, str) and text.problem("page_token", position, _KEY) is None


def page_size(requested: int, *, default: int, maximum: int) -> int:
    """0 means the default; above the maximum is clamped; negative is refused."""
    if requested < 0:
        raise invalid_argument("INVALID_ARGUMENT", f"page_size must be >= 0, got {requested}",
                               field="page_size")
    return min(requested or default, maximum)


def encode_token(position: Any, *, filter_: str) -> str:
    raw = json.dumps({"p": position, "f": filter_}, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_token(token: str, *, filter_: str, valid: Callable[[Any], bool] = is_key) -> Any:
    """The position stored in `token` (None for an empty token); `valid(position)` must hold."""
    if not token:
        return None
    if len(token) > limits.PAGE_TOKEN_BYTES:
        raise _bad_token("page_token is not one this service issued")
    try:
        padded = token + "=" * (-len(token) % 4)
        body = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        position, made_for = body["p"], body["f"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError, RecursionError):
        raise _bad_token("page_token is not one this service issued") from None
    if not valid(position):
        raise _bad_token("page_token is not one this service issued")
    if made_for != filter_:
        raise _bad_token("page_token was issued for a different request")
    return position


def _bad_token(message: str) -> Exception:
    return invalid_argument("INVALID_PAGE_TOKEN", message, field="page_token")
