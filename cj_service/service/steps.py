"""The guarded step every change of a running batch ends with: refit, stop or top up.

Callers hold the batch row lock (SELECT ... FOR UPDATE) inside one transaction, so on any
replica only one step of a batch runs at a time, and the watchdog (which uses SKIP LOCKED)
never acts on a batch while a step is in progress.
"""

from __future__ import annotations

import asyncio
import math
import time

import numpy as np
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from cj_service.adapters import batch_repo, comparison_repo
from cj_service.service import finish, planning, statistics
from cj_service.service.deps import Deps
from cj_service.service.model import State, StepOutcome

LIVE = (State.SUBMITTED.value, State.RUNNING.value)


def n_items(batch: Row) -> int:
    return batch.essay_count + batch.anchor_count


async def advance(conn: AsyncConnection, batch: Row, deps: Deps, out: StepOutcome) -> Row:
    """Decide continue / finalize / fail for a locked, live batch; top up when continuing."""
    if batch.state not in LIVE:
        return batch
    failing = judge_failure(batch, min_results=deps.config.pipeline.min_results_for_failure_rate)
    if failing:
        return await finish.fail(conn, batch, "JUDGE_FAILURE_RATE", failing, deps, out)
    batch, summary = await refit_if_due(conn, batch, deps, out)
    reason = batch.completion_reason or stopping_reason(batch, summary)
    if reason:
        if batch.comparisons_in_flight == 0:
            return await finish.finalize(conn, batch, reason, deps, out)
        if not batch.completion_reason:  # stop planning; finalize once in-flight verdicts land
            batch = await batch_repo.update_batch(conn, batch.id, completion_reason=reason)
        return batch
    batch = await top_up(conn, batch, deps, out, summary)
    if batch.comparisons_in_flight == 0:
        return await finish.finalize(conn, batch, "PAIRS_EXHAUSTED", deps, out)
    return batch


def judge_failure(batch: Row, *, min_results: int) -> str:
    """A reason text when the judge's success rate is below the batch's threshold."""
    results = batch.comparisons_done + batch.comparisons_failed
    if results < min_results or results == 0:
        return ""
    rate = batch.comparisons_done / results
    if rate >= batch.min_judge_success_rate:
        return ""
    return (f"judge success rate {rate:.2f} ({batch.comparisons_done}/{results}) is below "
            f"{batch.min_judge_success_rate:.2f}")


def stopping_reason(batch: Row, summary: statistics.FitSummary | None) -> str:
    # TODO(domain): delegate to cj_service.domain.stopping once it lands.
    if batch.comparisons_done >= batch.budget:
        return "BUDGET_SPENT"
    if summary is None or summary.counts.size == 0:
        return ""
    if (summary.reliability >= batch.target_reliability
            and int(summary.counts.min()) >= batch.min_comparisons_per_essay):
        return "RELIABILITY_REACHED"
    return ""


def refit_due(batch: Row, *, fraction: float) -> bool:
    new = batch.comparisons_done - batch.verdicts_at_last_fit
    return batch.comparisons_done > 0 and new >= max(1, math.ceil(fraction * batch.verdicts_at_last_fit))


async def refit_if_due(
    conn: AsyncConnection, batch: Row, deps: Deps, out: StepOutcome
) -> tuple[Row, statistics.FitSummary | None]:
    if not refit_due(batch, fraction=deps.config.pipeline.refit_fraction):
        return batch, None
    rows = await comparison_repo.judged(conn, batch.id)
    started = time.perf_counter()
    rng = np.random.default_rng([batch.seed, batch.comparisons_done])
    summary = await asyncio.to_thread(_fit, n_items(batch), rows, rng)
    out.refit_seconds += time.perf_counter() - started
    await batch_repo.insert_snapshot(
        conn, batch.id, comparisons=summary.n_comparisons, reliability=summary.reliability,
        ssr=summary.ssr, position_bias=summary.beta, position_bias_se=summary.beta_se,
        scores=summary.scores.tolist(), ses=summary.ses.tolist())
    batch = await batch_repo.update_batch(
        conn, batch.id, reliability=summary.reliability, ssr=summary.ssr,
        verdicts_at_last_fit=batch.comparisons_done)
    return batch, summary


def _fit(n: int, rows, rng: np.random.Generator) -> statistics.FitSummary:
    return statistics.fit(statistics.verdicts(n, rows), rng=rng)


def top_up_size(batch: Row) -> int:
    """How many new comparisons to plan now (0 = wait for more of the window to free up)."""
    free = batch.max_in_flight - batch.comparisons_in_flight
    remaining = batch.budget - batch.comparisons_done - batch.comparisons_in_flight
    want = min(free, remaining)
    # Planning reads the batch's whole pair history, so refill in chunks, not one by one.
    chunk = max(1, batch.max_in_flight // 10)
    if want <= 0 or (batch.comparisons_in_flight > 0 and want < min(chunk, remaining)):
        return 0
    return want


async def top_up(
    conn: AsyncConnection, batch: Row, deps: Deps, out: StepOutcome,
    summary: statistics.FitSummary | None,
) -> Row:
    count = top_up_size(batch)
    if count == 0:
        return batch
    hist = planning.history(n_items(batch), await comparison_repo.pair_rows(conn, batch.id),
                            max_pair_attempts=deps.config.pipeline.max_pair_attempts)
    scores, ses = await _current_scores(conn, batch, summary)
    rng = np.random.default_rng([batch.seed, batch.top_ups, batch.comparisons_created])
    pairs, requeued = planning.plan(hist, count=count, scores=scores, ses=ses, rng=rng)
    if not pairs:
        return batch
    await comparison_repo.insert_planned(conn, batch.id, pairs)
    await comparison_repo.mark_requeued(conn, requeued)
    await batch_repo.add_orientation(conn, batch.id, [(p.idx_a, p.idx_b) for p in pairs])
    out.dispatch = True
    out.planned += len(pairs)
    return await batch_repo.update_batch(
        conn, batch.id, comparisons_created=batch.comparisons_created + len(pairs),
        comparisons_in_flight=batch.comparisons_in_flight + len(pairs), top_ups=batch.top_ups + 1)


async def _current_scores(conn, batch: Row, summary):
    if summary is not None:
        return summary.scores, summary.ses
    snap = await batch_repo.latest_snapshot(conn, batch.id)
    if snap is None:
        return None, None
    return np.asarray(snap.scores, float), np.asarray(snap.ses, float)
