"""ComparisonResults from outside (a provider's text, any message on the bus, llm_provider's
refusals) made safe to store and fit, and read into the workflow's Result: what each records
on its comparison and what it says of the judge. And what a result that still cannot be
stored is applied as, so its assessment never waits for it (pure)."""

from __future__ import annotations

import math

from google.protobuf.message import Message

from cj_service.domain import judge_health
from cj_service.domain.assessment import TOKENS
from cj_service.service.workflow.model import Status
from cj_service.service.workflow.records import LateSpend, Recorded, Result
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


def read(result: llm_pb2.ComparisonResult) -> Result:
    """The cleaned result as the workflow applies it."""
    result = clean(result)
    error = final_error(result)
    verdict = result.verdict
    return Result(
        recorded=recorded(result),
        late=late_spend(result),
        kinds=judge_health.result_kinds(result.failed_attempts, kind_of(error)),
        estimated=result.usage.estimated,
        a_win=error is None and verdict.winner == llm_pb2.WINNER_ESSAY_A,
        probability_a_dropped=error is None and verdict.probability_a_contradicted,
        error_kind=kind_of(error),
        error_message=error.message if error is not None else "",
        last_error=message_of(error) if error is not None else "",
    )


def final_error(result: llm_pb2.ComparisonResult) -> llm_pb2.ComparisonError | None:
    """The error a result ends in: its own, or INVALID_RESPONSE for a verdict without a
    winner (which must not count as "B won", the seed's silent default); None for a verdict."""
    if result.WhichOneof("outcome") != "verdict":
        return result.error
    verdict = result.verdict
    if verdict.winner != llm_pb2.WINNER_UNSPECIFIED or verdict.HasField("probability_a"):
        return None
    return llm_pb2.ComparisonError(
        reason=llm_pb2.COMPARISON_ERROR_REASON_INVALID_RESPONSE,
        message="verdict without a winner",
        retryable=True,
    )


def kind_of(error: llm_pb2.ComparisonError | None) -> str:
    if error is None or not error.reason:
        return ""
    name = llm_pb2.ComparisonErrorReason.Name(error.reason)
    return name.removeprefix("COMPARISON_ERROR_REASON_")


def message_of(error: llm_pb2.ComparisonError) -> str:
    kind = kind_of(error)
    return f"{kind}: {judge_health.strip_kind(kind, error.message)}"


def late_spend(result: llm_pb2.ComparisonResult) -> LateSpend:
    error = final_error(result) if result.WhichOneof("outcome") else None
    u = result.usage
    return LateSpend(
        cid=result.request_id,
        provider=result.provider,
        model=result.model,
        prompt_tokens=u.prompt_tokens,
        completion_tokens=u.completion_tokens,
        cache_read_tokens=u.cache_read_tokens,
        cache_write_tokens=u.cache_write_tokens,
        cost_usd=result.cost_usd,
        prompt_sha256=result.prompt_sha256,
        attempts=max(1, result.attempts),
        error=error.SerializeToString() if error is not None else None,
    )


def recorded(result: llm_pb2.ComparisonResult) -> Recorded:
    """What one result (verdict or error) records on its comparison."""
    error = final_error(result)
    verdict = result.verdict
    judged = error is None
    return Recorded(
        cid=result.request_id,
        new_status=(Status.JUDGED if judged else Status.FAILED).value,
        winner=int(verdict.winner) if judged else 0,
        probability_a=verdict.probability_a
        if judged and verdict.HasField("probability_a") else None,
        confidence=verdict.confidence if judged else 0,
        justification=verdict.justification if judged else "",
        provider=result.provider,
        model=result.model,
        prompt_tokens=result.usage.prompt_tokens,
        completion_tokens=result.usage.completion_tokens,
        cache_read_tokens=result.usage.cache_read_tokens,
        cache_write_tokens=result.usage.cache_write_tokens,
        cost_usd=result.cost_usd,
        prompt_sha256=result.prompt_sha256,
        attempts=result.attempts,
        error=None if error is None else error.SerializeToString(),
        error_retryable=False if error is None else error.retryable,
    )
