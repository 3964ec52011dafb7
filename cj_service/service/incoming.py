"""ComparisonResults from outside (a provider's text, any message on the bus) made safe to
store and fit before apply.py writes them; and what a result that still cannot be stored is
applied as, so its batch never waits for it (pure)."""

from __future__ import annotations

import math

from google.protobuf.message import Message

from cj_service.service.judge_stats import TOKENS
from contracts.huleedu.llm.v1 import llm_pb2
from contracts.text import clip, sanitise

MAX_TOKENS = 10**9  # per result: no call is that large, and sums of such values overflowed
_WINNERS = (llm_pb2.WINNER_ESSAY_A, llm_pb2.WINNER_ESSAY_B)


def clean(result: llm_pb2.ComparisonResult) -> llm_pb2.ComparisonResult:
    """A copy safe to store and fit: every string without the controls PostgreSQL refuses (a
    NUL in a justification failed the UPDATE and stalled its batch), a cost that is not a
    finite non-negative number as 0, tokens within [0, MAX_TOKENS], an unknown winner as none
    (INVALID_RESPONSE, judge_stats.final_error) and a P(A) outside [0, 1] dropped."""
    out = llm_pb2.ComparisonResult()
    out.CopyFrom(result)
    _sanitise_strings(out)
    if not (math.isfinite(out.cost_usd) and out.cost_usd >= 0):
        out.cost_usd = 0.0
    for name in TOKENS:
        setattr(out.usage, name, min(max(getattr(out.usage, name), 0), MAX_TOKENS))
    verdict = out.verdict
    if out.HasField("verdict") and verdict.winner not in _WINNERS:
        verdict.winner = llm_pb2.WINNER_UNSPECIFIED
    if verdict.HasField("probability_a") and not 0.0 <= verdict.probability_a <= 1.0:
        verdict.ClearField("probability_a")
    return out


def _sanitise_strings(message: Message) -> None:
    """Every string of the message, however deep (maps and lists too), sanitised in place:
    a field added to the contract later is covered without a change here."""
    for field, value in message.ListFields():
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            _sanitise_map(value)
        elif field.type == field.TYPE_STRING:
            if field.is_repeated:
                value[:] = [sanitise(v) for v in value]
            else:
                setattr(message, field.name, sanitise(value))
        elif field.type == field.TYPE_MESSAGE:
            for item in value if field.is_repeated else [value]:
                _sanitise_strings(item)


def _sanitise_map(values) -> None:
    """String keys (and string values) sanitised; counts whose keys become equal add up."""
    items = dict(values)
    values.clear()
    for key, value in items.items():
        clean_key = sanitise(key)
        values[clean_key] = sanitise(value) if isinstance(value, str) else (
            values[clean_key] + value
        )


def unusable(result: llm_pb2.ComparisonResult, error: BaseException) -> llm_pb2.ComparisonResult:
    """What a result that cannot be stored is applied as: its comparison failed, retryable
    (the pair may be asked again), with the database's reason and never its SQL text."""
    cause = getattr(error, "orig", None) or error  # the driver's message, not SQLAlchemy's SQL
    why = (str(cause).splitlines() or [type(cause).__name__])[0]
    return llm_pb2.ComparisonResult(
        request_id=result.request_id,
        error=llm_pb2.ComparisonError(
            reason=llm_pb2.COMPARISON_ERROR_REASON_INVALID_RESPONSE,
            message=f"the result could not be stored: {clip(why, 200)}",
            retryable=True,
        ),
    )
