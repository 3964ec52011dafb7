"""What an OpenAI-compatible server is asked for, and what it is asked for after it refuses.

Servers differ: OpenAI and vLLM take `response_format` json_schema; llama-cpp-python takes
only "text" or "json_object" (optionally with a "schema"); some take no response_format or no
logprobs at all. A request states an Offer (output mode + logprobs); a refusal of one of
them moves the offer one step down, and the adapter remembers the step per server and model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from llm_provider.domain.manifest import JSON_OBJECT, TEXT

JSON_SCHEMA_MODE = "json_schema"
JSON_OBJECT_SCHEMA_MODE = "json_object+schema"
JSON_OBJECT_MODE = "json_object"
TEXT_MODE = "text"
# Most constrained first; TEXT sends no response_format and parses the answer strictly.
LADDER = (JSON_SCHEMA_MODE, JSON_OBJECT_SCHEMA_MODE, JSON_OBJECT_MODE, TEXT_MODE)

RESPONSE_FORMAT = "response_format"
LOGPROBS = "logprobs"

# Statuses a refusal comes with: 400/422 (validation), 500/501 (llama-cpp-python answers
# a request validation error with 500), never 401/403/404/429 or gateway errors.
_REFUSAL_STATUSES = frozenset({400, 422, 500, 501})
_FORMAT_WORDS = ("response_format", "response format", "json_schema", "json_object",
                 "structured output", "guided_json")
_LOGPROB_WORDS = ("logprobs", "logprob")
_REFUSAL_WORDS = re.compile(
    r"not supported|unsupported|does not support|not implemented|validation error|"
    r"literal_error|input should be|unexpected value|permitted|not allowed|must be|"
    r"extra_forbidden|extra fields|unrecognized|unknown|invalid"
)


@dataclass(frozen=True)
class Offer:
    """What one request asks of the server beyond the prompt."""

    mode: str
    logprobs: bool

    @property
    def depth(self) -> int:
        return LADDER.index(self.mode)


def first_offer(structured_output: int, *, logprobs: bool) -> Offer:
    """Where a model starts: the manifest's structured_output (JSON_SCHEMA unless it says)."""
    mode = {JSON_OBJECT: JSON_OBJECT_SCHEMA_MODE, TEXT: TEXT_MODE}.get(
        structured_output, JSON_SCHEMA_MODE)
    return Offer(mode, logprobs)


def refused_feature(status: int, message: str) -> str | None:
    """The optional feature a server's error refuses (RESPONSE_FORMAT or LOGPROBS), or None
    when the error is anything else (an outage, a bad key, a prompt too long...)."""
    if status not in _REFUSAL_STATUSES:
        return None
    text = message.lower()
    if status >= 500 and not _REFUSAL_WORDS.search(text):
        return None  # a crash that happens to quote the request is not a refusal
    if any(word in text for word in _FORMAT_WORDS):
        return RESPONSE_FORMAT
    if any(word in text for word in _LOGPROB_WORDS):
        return LOGPROBS
    return None


def next_offer(offer: Offer, feature: str) -> Offer | None:
    """The offer without the refused feature; None when nothing is left to give up."""
    if feature == LOGPROBS and offer.logprobs:
        return replace(offer, logprobs=False)
    if feature == RESPONSE_FORMAT and offer.mode != TEXT_MODE:
        return replace(offer, mode=LADDER[offer.depth + 1])
    return None


def lowest(a: Offer, b: Offer) -> Offer:
    """The offer both lessons allow: the further mode down, logprobs only if neither dropped
    them (concurrent calls may learn in any order; a step once learned is never undone)."""
    return Offer(LADDER[max(a.depth, b.depth)], a.logprobs and b.logprobs)


def exhausted_message(tried: list[Offer], server_words: str) -> str:
    modes = ", ".join(dict.fromkeys(o.mode for o in tried))
    return f"the server refused every structured-output mode tried ({modes}): {server_words}"
