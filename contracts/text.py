"""The rules every service applies to caller text at its door (pure).

A service keeps its own limits (how many bytes an essay, an id, a metadata value may hold) in
one module; the character rules are the same everywhere and live here:

- no NUL and no other C0 control except tab, line feed and carriage return (CRLF essays are
  common), and no DEL: PostgreSQL refuses NUL in text, and controls have no business in a
  prompt or a log line;
- free text (essays, instructions) must hold at least one visible character: a text of only
  spaces or zero-width characters is empty;
- ids are one line of printable characters.

Sizes are UTF-8 bytes, the unit NATS and PostgreSQL count in. A size over its limit is
RESOURCE_EXHAUSTED / CONTENT_TOO_LARGE (gRPC's own answer to an oversized message);
a bad character or an empty text is INVALID_ARGUMENT. Every refusal names the field, the
limit and the value (its size, or the offending character and where it is).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from contracts.errors import ServiceError, invalid_argument, resource_exhausted

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")  # Hangul fillers, blank braille


@dataclass(frozen=True)
class Rule:
    """What one field may hold."""

    max_bytes: int
    required: bool = False
    visible: bool = False  # free text: must hold a visible character when not empty
    one_line: bool = False  # ids and names: printable only, no line breaks or tabs


@dataclass(frozen=True)
class Problem:
    """Why a value breaks its rule; ``too_large`` picks the status code."""

    message: str
    too_large: bool
    metadata: Mapping[str, str]


def problem(field: str, value: str, rule: Rule) -> Problem | None:
    """None when ``value`` keeps ``rule``, else what is wrong with it."""
    if not value:
        return _bad(field, f"{field} is required", value) if rule.required else None
    size = _utf8_size(value, rule.max_bytes)
    if size > rule.max_bytes:
        return Problem(
            f"{field} is {size} bytes; the limit is {rule.max_bytes}",
            True,
            {"field": field, "limit": str(rule.max_bytes), "value": f"{size} bytes"},
        )
    bad = first_bad_character(value, one_line=rule.one_line)
    if bad is not None:
        at, char = bad
        return _bad(field, f"{field} holds {_name(char)} at character {at}", value)
    if rule.visible and not has_visible(value):
        return _bad(field, f"{field} has no visible character", value)
    return None


def check(field: str, value: str, rule: Rule) -> None:
    """Raise the ServiceError of ``problem`` (for services that speak ServiceError)."""
    found = problem(field, value, rule)
    if found is not None:
        raise as_error(found)


def as_error(found: Problem) -> ServiceError:
    if found.too_large:
        return resource_exhausted("CONTENT_TOO_LARGE", found.message, **found.metadata)
    return invalid_argument("INVALID_ARGUMENT", found.message, **found.metadata)


def check_map(field: str, values: Mapping[str, str], *, max_entries: int, key: Rule,
              value: Rule, max_total_bytes: int) -> None:
    """A string map (caller metadata): entry count, each key and value, and the total size."""
    if len(values) > max_entries:
        raise invalid_argument(
            "INVALID_ARGUMENT", f"{field} has {len(values)} entries; the limit is {max_entries}",
            field=field, limit=str(max_entries), value=str(len(values)))
    total = 0
    for k, v in values.items():
        check(f"{field} key", k, key)
        check(f"{field}[{k}]", v, value)
        total += len(k.encode()) + len(v.encode())
    if total > max_total_bytes:
        raise resource_exhausted(
            "CONTENT_TOO_LARGE", f"{field} is {total} bytes; the limit is {max_total_bytes}",
            field=field, limit=str(max_total_bytes), value=f"{total} bytes")


def check_range(field: str, value: float, low: float, high: float) -> None:
    """INVALID_ARGUMENT unless low <= value <= high (NaN is outside every range)."""
    if not low <= value <= high:
        raise invalid_argument(
            "INVALID_ARGUMENT", f"{field} must be in [{low:g}, {high:g}]; got {value:g}",
            field=field, limit=f"[{low:g}, {high:g}]", value=f"{value:g}")


def first_bad_character(value: str, *, one_line: bool = False) -> tuple[int, str] | None:
    """(index, character) of the first character the rules refuse, or None."""
    if one_line:
        return next(((i, c) for i, c in enumerate(value) if not c.isprintable()), None)
    found = _CONTROL.search(value)
    return (found.start(), found.group()) if found else None


def has_visible(value: str) -> bool:
    """True when some character would show: not space, control, format (zero-width) or mark."""
    return any(
        not c.isspace() and c not in _FILLERS
        and unicodedata.category(c) not in _INVISIBLE_CATEGORIES
        for c in value
    )


def sanitise(value: str) -> str:
    """Text from outside the door (a provider's justification): refused controls removed."""
    return _CONTROL.sub("", value)


def clip(value: str, max_chars: int = 80) -> str:
    """A value safe to echo in an error or a log line: short, controls written as escapes."""
    short = value if len(value) <= max_chars else f"{value[:max_chars]}... ({len(value)} chars)"
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", short)


def _utf8_size(value: str, limit: int) -> int:
    # At most 4 bytes a character: a short string cannot be over, so skip the encode.
    return len(value) if len(value) * 4 <= limit else len(value.encode("utf-8", "surrogatepass"))


def _name(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def _bad(field: str, message: str, value: str) -> Problem:
    return Problem(message, False, {"field": field, "value": clip(value)})
