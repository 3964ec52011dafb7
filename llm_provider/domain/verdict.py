"""The verdict schema every provider is made to answer in, and its strict parser.

Strict on purpose: an answer that does not name exactly one essay, carries a confidence
off the 1-5 scale or keys of its own, is INVALID_RESPONSE (retryable), never a silent default
to "Essay A". Only a plain-text answer (no JSON mode on the server) may wrap the one object in
prose or a code fence; everything inside it is held to the same rules.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from llm_provider.domain.errors import INVALID_RESPONSE, ProviderFailure

ESSAY_A, ESSAY_B = "Essay A", "Essay B"
WINNERS = {ESSAY_A: "A", ESSAY_B: "B"}
MIN_CONFIDENCE, MAX_CONFIDENCE = 1, 5
MAX_JUSTIFICATION = 4_000
KEYS = ("winner", "justification", "confidence")
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)

# Winner first: the token that decides it comes early, where logprobs can be read off.
VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "winner": {"type": "string", "enum": [ESSAY_A, ESSAY_B],
                   "description": "The better essay."},
        "justification": {"type": "string",
                          "description": "One to three sentences on why."},
        "confidence": {"type": "integer", "minimum": MIN_CONFIDENCE, "maximum": MAX_CONFIDENCE,
                       "description": "1 = a guess, 5 = certain."},
    },
    "required": list(KEYS),
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Verdict:
    winner: str  # "A" or "B"
    confidence: int
    justification: str
    probability_a: float | None = None
    # The logprobs' P(A) fell on the other side of 0.5 from the winner: dropped, and counted.
    probability_a_contradicted: bool = False


def invalid(message: str) -> ProviderFailure:
    return ProviderFailure(INVALID_RESPONSE, message)


def parse_verdict_json(text: str) -> Verdict:
    """Parse the model's JSON text; anything but one clean verdict object is invalid."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise invalid(f"answer is not JSON: {str(text)[:80]!r}") from exc
    return parse_verdict(value)


def parse_verdict_text(text: str) -> Verdict:
    """A plain-text answer: the one JSON object in it (bare, fenced or amid prose)."""
    return parse_verdict(_single_object(text))


def _single_object(text: str) -> object:
    fenced = _FENCE.findall(text)
    if len(fenced) == 1:
        text = fenced[0]
    found = _objects(text)
    if len(found) != 1:
        raise invalid(f"expected one JSON object in the answer, found {len(found)}: "
                      f"{text[:80]!r}")
    return found[0]


def _objects(text: str) -> list[object]:
    """Every top-level JSON object in `text`, scanning left to right."""
    decoder, found, pos = json.JSONDecoder(), [], text.find("{")
    while pos >= 0:
        try:
            value, end = decoder.raw_decode(text, pos)
        except ValueError:
            pos = text.find("{", pos + 1)
            continue
        found.append(value)
        pos = text.find("{", end)
    return found


def parse_verdict(value: object) -> Verdict:
    if not isinstance(value, dict):
        raise invalid(f"answer is not an object: {type(value).__name__}")
    extra = sorted(str(k) for k in value if k not in KEYS)
    if extra:
        raise invalid(f"answer has keys of its own: {extra[:5]}")
    winner = value.get("winner")
    if winner not in WINNERS:
        raise invalid(f"winner must be {ESSAY_A!r} or {ESSAY_B!r}, got {winner!r}")
    justification = value.get("justification")
    if not isinstance(justification, str):
        raise invalid("justification missing or not a string")
    return Verdict(WINNERS[winner], _confidence(value.get("confidence")),
                   justification.strip()[:MAX_JUSTIFICATION])


def _confidence(raw: object) -> int:
    # JSON has one number type; 4.0 is a fine integer, 4.5 and True are not.
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw != int(raw):
        raise invalid(f"confidence must be an integer, got {raw!r}")
    if not MIN_CONFIDENCE <= int(raw) <= MAX_CONFIDENCE:
        raise invalid(f"confidence must be in 1..5, got {raw!r}")
    return int(raw)
