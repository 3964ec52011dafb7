"""Apply results: one unit of work per assessment, idempotent, then the guarded step.

Outcomes per result: judged / failed (applied), duplicate (already applied), late (the
assessment or the comparison ended first), unknown (no such comparison). Only applied results
change state; the others are counted and acknowledged -- a late result's spend and failed
attempts still count towards its assessment (judge_stats.count_late), once.

Results come from outside (a provider's text, a message off the bus): the edge cleans each
before it reaches here (adapters/incoming.py), and applies one that still cannot be stored as
a failed comparison so its assessment never waits for it.

A result saying the judge cannot be used at all (judge_health.MISCONFIGURED) fails the
assessment at once with JUDGE_MISCONFIGURED and the provider's message. Verdicts of the
simulated judge that say it had no truth for a text add that text to no_truth_texts (a
warning).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple, TypeVar

from cj_service.domain import simulated_judge
from cj_service.domain.assessment import Assessment
from cj_service.service.workflow import finish, judge_stats, live_fits, steps
from cj_service.service.workflow.contexts import Applying, Step
from cj_service.service.workflow.model import IN_FLIGHT, Status, StepOutcome
from cj_service.service.workflow.records import Result, Sent, Verdict

T = TypeVar("T")


async def route(
    ctx: Applying, items: Sequence[T], key: Callable[[T], str]
) -> tuple[dict[str, list[T]], list[T]]:
    """Group items by the assessment that owns their comparison (key = comparison id).

    Returns (groups, unknown): results for comparisons this service never created are
    acknowledged and counted by the caller, never applied.
    """
    async with ctx.store.read() as tx:
        owners = await tx.comparisons.owners(list({key(i) for i in items}))
    groups: dict[str, list[T]] = {}
    unknown: list[T] = []
    for item in items:
        batch_id = owners.get(key(item))
        if batch_id is None:
            unknown.append(item)
        else:
            groups.setdefault(batch_id, []).append(item)
    return groups, unknown


async def apply_results(ctx: Applying, batch_id: str, results: Sequence[Result]) -> StepOutcome:
    """Apply one assessment's results under its lock and run the step; commit before
    returning."""
    out = StepOutcome(batch_id)
    async with ctx.store.transaction() as tx:
        step = Step(tx, ctx, out)
        a = await tx.assessments.lock(batch_id)
        if a is None:
            _count(out, "unknown", len(results))
            return out
        fresh, late = await _fresh(step, a, results)
        a = await judge_stats.count_late(tx, a, late) if late else a
        if not fresh:
            return out
        await _apply(step, a, fresh)
    live_fits.remember(ctx, out)  # committed: the memo now matches the stored rows
    return out


async def _apply(step: Step, a: Assessment, fresh: list[_Fresh]) -> None:
    """Record the fresh outcomes and the assessment's counts, then fail or step it."""
    await step.tx.comparisons.record([f.result.recorded for f in fresh])
    done_before = a.comparisons_done
    applied = [f.result for f in fresh]
    outcomes = judge_stats.outcomes(applied, _no_truth(fresh))
    a = await step.tx.assessments.save(a, a.record_outcomes(outcomes, now=step.ctx.clock.now()))
    live_fits.extend(step, a, done_before, _verdicts(fresh))
    detail = judge_stats.misconfiguration(a, applied)
    if detail and a.is_live:
        await finish.fail(step, a, "JUDGE_MISCONFIGURED", detail)
        return
    await steps.advance(step, a)


def _no_truth(fresh: Sequence[_Fresh]) -> list[int]:
    """The texts the simulated judge says it had no truth for in these verdicts."""
    verdicts = [
        (f.sent.idx_a, f.sent.idx_b, f.result.recorded.justification)
        for f in fresh
        if simulated_judge.NO_TRUTH_MARK in f.result.recorded.justification
    ]
    return simulated_judge.no_truth_texts((), verdicts)


class _Fresh(NamedTuple):
    """A result that changes its comparison's state, and the comparison."""

    result: Result
    sent: Sent


def _verdicts(fresh: Sequence[_Fresh]) -> list[Verdict]:
    return [
        Verdict(f.sent.idx_a, f.sent.idx_b, r.winner, r.probability_a, r.provider, r.model,
                f.sent.chain)
        for f in fresh
        if (r := f.result.recorded).new_status == Status.JUDGED
    ]


async def _fresh(
    step: Step, a: Assessment, results: Sequence[Result]
) -> tuple[list[_Fresh], list[Result]]:
    """The results that change state and the late ones; count the rest."""
    ids = [r.comparison_id for r in results]
    current = {c.id: c for c in await step.tx.comparisons.sent(ids)}
    now = step.ctx.clock.now()
    out = step.out
    fresh: list[_Fresh] = []
    late: list[Result] = []
    seen: set[str] = set()
    for result in results:
        sent = current.get(result.comparison_id)
        kind = _classify(a, sent, result.comparison_id in seen)
        seen.add(result.comparison_id)
        if kind != "fresh":
            _count(out, kind)
            late += [result] if kind == "late" else []
            continue
        assert sent is not None  # "fresh" means the comparison exists and is in flight
        fresh.append(_Fresh(result, sent))
        _count(out, "judged" if result.judged else "failed")
        out.latencies.append((now - (sent.submitted_at or sent.created_at)).total_seconds())
    out.applied += len(fresh)
    return fresh, late


def _classify(a: Assessment, sent: Sent | None, repeated: bool) -> str:
    if sent is None or sent.batch_id != a.id:
        return "unknown"
    if repeated or sent.status in (Status.JUDGED, Status.FAILED):
        return "duplicate"
    if not a.is_live or sent.status not in IN_FLIGHT:
        return "late"
    return "fresh"


def _count(out: StepOutcome, kind: str, n: int = 1) -> None:
    out.outcomes[kind] = out.outcomes.get(kind, 0) + n
    if kind == "duplicate":
        out.duplicates += n
    elif kind == "late":
        out.late += n
