"""What each applied (or late) result adds to its batch's judge record: failed attempts by
kind, dropped P(A), verdicts for Essay A, estimated tokens, the last provider message, and
the failures since the last verdict that the provider-patience rule reads.

Late results (the comparison was abandoned when the batch ended) keep their comparison's
state but their spend is the batch's: the comparison row records the result once (its
attempts, provider or error stay empty until then), so a redelivery is not counted twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from cj_service.adapters import batch_repo, comparison_repo
from cj_service.domain import judge_health
from contracts.huleedu.llm.v1 import llm_pb2

TOKENS = ("prompt_tokens", "completion_tokens", "cache_read_tokens", "cache_write_tokens")


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


def kinds(result: llm_pb2.ComparisonResult) -> dict[str, int]:
    return judge_health.result_kinds(result.failed_attempts, kind_of(final_error(result)))


def message_of(error: llm_pb2.ComparisonError) -> str:
    kind = kind_of(error)
    return f"{kind}: {judge_health.strip_kind(kind, error.message)}"


def fresh_values(batch: Row, results: Sequence[llm_pb2.ComparisonResult]) -> dict[str, Any]:
    """Batch columns after applying `results` (each changed a comparison's state)."""
    verdicts = [r.verdict for r in results if final_error(r) is None]
    added = [kinds(r) for r in results]
    values: dict[str, Any] = {
        "failed_attempts": judge_health.merge_counts(batch.failed_attempts or {}, *added),
        "probability_a_dropped": batch.probability_a_dropped
        + sum(1 for v in verdicts if v.probability_a_contradicted),
        "a_wins": batch.a_wins + sum(1 for v in verdicts if v.winner == llm_pb2.WINNER_ESSAY_A),
        "tokens_estimated": batch.tokens_estimated or any(r.usage.estimated for r in results),
    }
    if verdicts:
        values.update(verdict_at=func.now(), failed_since_verdict={})
    else:
        values["failed_since_verdict"] = judge_health.merge_counts(
            batch.failed_since_verdict or {}, *added
        )
    errors = [e for e in map(final_error, results) if e is not None]
    if errors:
        values["last_error"] = message_of(errors[-1])
    return values


def misconfiguration(batch: Row, results: Sequence[llm_pb2.ComparisonResult]) -> str:
    """The JUDGE_MISCONFIGURED detail when a result says the judge cannot be used, else ""."""
    errors = [e for e in map(final_error, results) if e is not None]
    found = judge_health.first_misconfiguration((kind_of(e), e.message) for e in errors)
    if found is None:
        return ""
    judge = f"{batch.judge_provider}/{batch.judge_model}"
    return judge_health.misconfigured_detail(judge, *found, batch.failed_attempts or {})


async def count_late(
    conn: AsyncConnection, batch: Row, late: Sequence[llm_pb2.ComparisonResult]
) -> Row:
    """Add the spend and failed attempts of results that arrived after their comparison was
    abandoned, each once; the comparisons keep their state."""
    counted = [r for r in late if await comparison_repo.record_late(conn, late_row(r))]
    if not counted:
        return batch
    values: dict[str, Any] = {
        "cost_usd": batch.cost_usd + sum(r.cost_usd for r in counted),
        "failed_attempts": judge_health.merge_counts(
            batch.failed_attempts or {}, *(kinds(r) for r in counted)
        ),
        "tokens_estimated": batch.tokens_estimated or any(r.usage.estimated for r in counted),
    }
    for name in TOKENS:
        values[name] = getattr(batch, name) + sum(getattr(r.usage, name) for r in counted)
    return await batch_repo.update_batch(conn, batch.id, **values)


def late_row(result: llm_pb2.ComparisonResult) -> dict[str, Any]:
    error = final_error(result) if result.WhichOneof("outcome") else None
    return {
        "cid": result.request_id,
        "provider": result.provider,
        "model": result.model,
        "cost_usd": result.cost_usd,
        "prompt_sha256": result.prompt_sha256,
        "attempts": max(1, result.attempts),
        "error": error.SerializeToString() if error is not None else None,
        **{name: getattr(result.usage, name) for name in TOKENS},
    }
