"""Apply ComparisonResults: one transaction per batch, idempotent, then the guarded step.

Outcomes per result: judged / failed (applied), duplicate (already applied), late (the batch
or the comparison ended first), unknown (no such comparison). Only applied results change
state; the others are counted and acknowledged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncConnection

from cj_service.adapters import batch_repo, comparison_repo
from cj_service.service import live_fits, steps
from cj_service.service.deps import Deps
from cj_service.service.model import IN_FLIGHT, TERMINAL, Status, StepOutcome
from contracts.huleedu.llm.v1 import llm_pb2

T = TypeVar("T")
_TOKENS = ("prompt_tokens", "completion_tokens", "cache_read_tokens", "cache_write_tokens")


async def route(
    deps: Deps, items: Sequence[T], key: Callable[[T], str]
) -> tuple[dict[str, list[T]], list[T]]:
    """Group items by the batch that owns their comparison (key = comparison id).

    Returns (groups, unknown): results for comparisons this service never created are
    acknowledged and counted by the caller, never applied.
    """
    async with deps.db.read() as conn:
        owners = await comparison_repo.batch_of(conn, list({key(i) for i in items}))
    groups: dict[str, list[T]] = {}
    unknown: list[T] = []
    for item in items:
        batch_id = owners.get(key(item))
        if batch_id is None:
            unknown.append(item)
        else:
            groups.setdefault(batch_id, []).append(item)
    return groups, unknown


async def apply_results(
    deps: Deps, batch_id: str, results: Sequence[llm_pb2.ComparisonResult]
) -> StepOutcome:
    """Apply one batch's results under its row lock and run the step; commit before returning."""
    out = StepOutcome(batch_id)
    async with deps.db.transaction() as conn:
        batch = await batch_repo.lock_batch(conn, batch_id)
        if batch is None:
            _count(out, "unknown", len(results))
            return out
        fresh = await _fresh(conn, batch, results, out)
        if not fresh:
            return out
        await comparison_repo.apply_outcomes(conn, [row for row, _ in fresh])
        done_before = batch.comparisons_done
        batch = await batch_repo.update_batch(
            conn, batch.id, progress_at=func.now(), **_counters(batch, [row for row, _ in fresh])
        )
        live_fits.extend(deps, out, batch, done_before, _judged_rows(fresh))
        await steps.advance(conn, batch, deps, out)
    live_fits.remember(deps, out)  # committed: the memo now matches the stored rows
    return out


class _JudgedRow(NamedTuple):
    """A verdict as comparison_repo.judged returns it."""

    idx_a: int
    idx_b: int
    winner: int
    probability_a: float | None
    provider: str
    model: str
    chain: int | None


def _judged_rows(fresh: Sequence[tuple[dict[str, Any], Any]]) -> list[_JudgedRow]:
    return [
        _JudgedRow(
            row.idx_a,
            row.idx_b,
            u["winner"],
            u["probability_a"],
            u["provider"],
            u["model"],
            row.chain,
        )
        for u, row in fresh
        if u["new_status"] == Status.JUDGED
    ]


async def _fresh(conn: AsyncConnection, batch, results, out: StepOutcome) -> list[tuple[dict, Any]]:
    """The results that change state, as update rows; count the rest."""
    current = {r.id: r for r in await comparison_repo.by_ids(conn, [r.request_id for r in results])}
    now = datetime.now(UTC)
    fresh, seen = [], set()
    for result in results:
        row = current.get(result.request_id)
        kind = _classify(batch, row, result.request_id in seen)
        seen.add(result.request_id)
        if kind != "fresh":
            _count(out, kind)
            continue
        assert row is not None  # "fresh" means the comparison exists and is in flight
        update = outcome_row(result)
        fresh.append((update, row))
        _count(out, "judged" if update["new_status"] == Status.JUDGED else "failed")
        out.latencies.append((now - (row.submitted_at or row.created_at)).total_seconds())
    out.applied += len(fresh)
    return fresh


def _classify(batch, row, repeated: bool) -> str:
    if row is None or row.batch_id != batch.id:
        return "unknown"
    if repeated or row.status in (Status.JUDGED, Status.FAILED):
        return "duplicate"
    if batch.state in TERMINAL or row.status not in IN_FLIGHT:
        return "late"
    return "fresh"


def _count(out: StepOutcome, kind: str, n: int = 1) -> None:
    out.outcomes[kind] = out.outcomes.get(kind, 0) + n
    if kind == "duplicate":
        out.duplicates += n
    elif kind == "late":
        out.late += n


def outcome_row(result: llm_pb2.ComparisonResult) -> dict[str, Any]:
    """The comparisons UPDATE parameters for one result (verdict or error)."""
    row: dict[str, Any] = {
        "cid": result.request_id,
        "provider": result.provider,
        "model": result.model,
        "cost_usd": result.cost_usd,
        "prompt_sha256": result.prompt_sha256,
        "attempts": result.attempts,
        **{name: getattr(result.usage, name) for name in _TOKENS},
    }
    verdict = result.verdict if result.WhichOneof("outcome") == "verdict" else None
    if verdict is not None and _usable(verdict):
        row.update(
            new_status=Status.JUDGED.value,
            winner=int(verdict.winner),
            probability_a=verdict.probability_a if verdict.HasField("probability_a") else None,
            confidence=verdict.confidence,
            justification=verdict.justification,
            error=None,
            error_retryable=False,
        )
        return row
    error = result.error if verdict is None else _unusable_verdict()
    row.update(
        new_status=Status.FAILED.value,
        winner=0,
        probability_a=None,
        confidence=0,
        justification="",
        error=error.SerializeToString(),
        error_retryable=error.retryable,
    )
    return row


def _usable(verdict: llm_pb2.ComparisonVerdict) -> bool:
    return verdict.winner != llm_pb2.WINNER_UNSPECIFIED or verdict.HasField("probability_a")


def _unusable_verdict() -> llm_pb2.ComparisonError:
    # A verdict without a winner must not count as "B won" (the seed's silent default).
    return llm_pb2.ComparisonError(
        reason=llm_pb2.COMPARISON_ERROR_REASON_INVALID_RESPONSE,
        message="verdict without a winner",
        retryable=True,
    )


def _counters(batch, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    judged = sum(1 for r in rows if r["new_status"] == Status.JUDGED)
    values: dict[str, Any] = {
        "comparisons_done": batch.comparisons_done + judged,
        "comparisons_failed": batch.comparisons_failed + len(rows) - judged,
        "comparisons_in_flight": batch.comparisons_in_flight - len(rows),
        "cost_usd": batch.cost_usd + sum(r["cost_usd"] for r in rows),
    }
    for name in _TOKENS:
        values[name] = getattr(batch, name) + sum(r[name] for r in rows)
    return values
