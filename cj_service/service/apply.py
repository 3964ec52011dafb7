"""Apply ComparisonResults: one transaction per batch, idempotent, then the guarded step.

Outcomes per result: judged / failed (applied), duplicate (already applied), late (the batch
or the comparison ended first), unknown (no such comparison). Only applied results change
state; the others are counted and acknowledged -- a late result's spend and failed attempts
still count towards its batch (judge_stats.count_late), once.

Results come from outside (a provider's text, a message off the bus): each is cleaned before
it reaches SQL or the fit (incoming.clean); one that still cannot be stored is applied as a
failed comparison (incoming.unusable) so its batch never waits for it.

A result saying the judge cannot be used at all (judge_health.MISCONFIGURED) fails the batch
at once with JUDGE_MISCONFIGURED and the provider's message. Verdicts of the simulated judge
that say it had no truth for a text add that text to the batch's no_truth_texts (a warning).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncConnection

from cj_service.adapters import batch_repo, comparison_repo
from cj_service.domain import simulated_judge
from cj_service.service import finish, incoming, judge_stats, live_fits, steps
from cj_service.service.deps import Deps
from cj_service.service.model import IN_FLIGHT, TERMINAL, Status, StepOutcome
from contracts.huleedu.llm.v1 import llm_pb2

T = TypeVar("T")


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
    results = [incoming.clean(r) for r in results]
    out = StepOutcome(batch_id)
    async with deps.db.transaction() as conn:
        batch = await batch_repo.lock_batch(conn, batch_id)
        if batch is None:
            _count(out, "unknown", len(results))
            return out
        fresh, late = await _fresh(conn, batch, results, out)
        batch = await judge_stats.count_late(conn, batch, late) if late else batch
        if not fresh:
            return out
        await _apply(conn, batch, fresh, deps, out)
    live_fits.remember(deps, out)  # committed: the memo now matches the stored rows
    return out


async def _apply(conn: AsyncConnection, batch, fresh: list[_Fresh], deps: Deps, out) -> None:
    """Write the fresh outcomes and the batch's counters, then fail or step the batch."""
    await comparison_repo.apply_outcomes(conn, [f.update for f in fresh])
    done_before = batch.comparisons_done
    applied = [f.result for f in fresh]
    batch = await batch_repo.update_batch(
        conn,
        batch.id,
        progress_at=func.now(),
        **_counters(batch, [f.update for f in fresh]),
        **judge_stats.fresh_values(batch, applied),
        **_no_truth(batch, fresh),
    )
    live_fits.extend(deps, out, batch, done_before, _judged_rows(fresh))
    detail = judge_stats.misconfiguration(batch, applied)
    if detail and batch.state in steps.LIVE:
        await finish.fail(conn, batch, "JUDGE_MISCONFIGURED", detail, deps, out)
        return
    await steps.advance(conn, batch, deps, out)


def _no_truth(batch, fresh: Sequence[_Fresh]) -> dict[str, Any]:
    """The texts the simulated judge had no truth for, when these verdicts name new ones."""
    verdicts = [
        (f.row.idx_a, f.row.idx_b, f.update["justification"])
        for f in fresh
        if simulated_judge.NO_TRUTH_MARK in f.update["justification"]
    ]
    if not verdicts:
        return {}
    known = list(batch.no_truth_texts or ())
    found = simulated_judge.no_truth_texts(known, verdicts)
    return {"no_truth_texts": found} if len(found) > len(known) else {}


class _Fresh(NamedTuple):
    """A result that changes its comparison's state: the UPDATE row, the stored row, itself."""

    update: dict[str, Any]
    row: Any
    result: llm_pb2.ComparisonResult


class _JudgedRow(NamedTuple):
    """A verdict as comparison_repo.judged returns it."""

    idx_a: int
    idx_b: int
    winner: int
    probability_a: float | None
    provider: str
    model: str
    chain: int | None


def _judged_rows(fresh: Sequence[_Fresh]) -> list[_JudgedRow]:
    return [
        _JudgedRow(
            f.row.idx_a,
            f.row.idx_b,
            f.update["winner"],
            f.update["probability_a"],
            f.update["provider"],
            f.update["model"],
            f.row.chain,
        )
        for f in fresh
        if f.update["new_status"] == Status.JUDGED
    ]


async def _fresh(
    conn: AsyncConnection, batch, results, out: StepOutcome
) -> tuple[list[_Fresh], list[llm_pb2.ComparisonResult]]:
    """The results that change state (as update rows) and the late ones; count the rest."""
    current = {r.id: r for r in await comparison_repo.by_ids(conn, [r.request_id for r in results])}
    now = datetime.now(UTC)
    fresh: list[_Fresh] = []
    late: list[llm_pb2.ComparisonResult] = []
    seen: set[str] = set()
    for result in results:
        row = current.get(result.request_id)
        kind = _classify(batch, row, result.request_id in seen)
        seen.add(result.request_id)
        if kind != "fresh":
            _count(out, kind)
            late += [result] if kind == "late" else []
            continue
        assert row is not None  # "fresh" means the comparison exists and is in flight
        update = outcome_row(result)
        fresh.append(_Fresh(update, row, result))
        _count(out, "judged" if update["new_status"] == Status.JUDGED else "failed")
        out.latencies.append((now - (row.submitted_at or row.created_at)).total_seconds())
    out.applied += len(fresh)
    return fresh, late


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
        **{name: getattr(result.usage, name) for name in judge_stats.TOKENS},
    }
    error = judge_stats.final_error(result)
    if error is None:
        verdict = result.verdict
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


def _counters(batch, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    judged = sum(1 for r in rows if r["new_status"] == Status.JUDGED)
    values: dict[str, Any] = {
        "comparisons_done": batch.comparisons_done + judged,
        "comparisons_failed": batch.comparisons_failed + len(rows) - judged,
        "comparisons_in_flight": batch.comparisons_in_flight - len(rows),
        "cost_usd": batch.cost_usd + sum(r["cost_usd"] for r in rows),
    }
    for name in judge_stats.TOKENS:
        values[name] = getattr(batch, name) + sum(r[name] for r in rows)
    return values

