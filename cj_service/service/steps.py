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
from cj_service.domain import stopping
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
    batch, summary = await refit_if_due(conn, batch, deps, out)
    decision = stopping.decide(progress(batch), policy(batch, deps))
    if decision.action == stopping.FAIL:
        return await finish.fail(conn, batch, "JUDGE_FAILURE_RATE", decision.detail, deps, out)
    reason = batch.completion_reason or _REASONS.get(decision.reason, "")
    if decision.action == stopping.FINALIZE or batch.completion_reason:
        if batch.comparisons_in_flight == 0:
            return await finish.finalize(conn, batch, reason, deps, out)
        if not batch.completion_reason:  # stop planning; use the verdicts already paid for
            batch = await batch_repo.update_batch(conn, batch.id, completion_reason=reason)
        return batch
    batch = await top_up(conn, batch, deps, out, summary, count=decision.submit)
    if batch.comparisons_in_flight == 0:
        return await finish.finalize(conn, batch, "PAIRS_EXHAUSTED", deps, out)
    return batch


_REASONS = {
    stopping.REASON_RELIABILITY: "RELIABILITY_REACHED",
    stopping.REASON_BUDGET: "BUDGET_SPENT",
}


def progress(batch: Row) -> stopping.Progress:
    fitted = batch.verdicts_at_last_fit > 0
    return stopping.Progress(
        n_essays=n_items(batch),
        done=batch.comparisons_done,
        failed=batch.comparisons_failed,
        in_flight=batch.comparisons_in_flight,
        budget=batch.budget,
        reliability=batch.reliability if fitted else None,
    )


def policy(batch: Row, deps: Deps) -> stopping.StopPolicy:
    return stopping.StopPolicy(
        target_reliability=batch.target_reliability,
        min_comparisons_per_essay=batch.min_comparisons_per_essay,
        min_success_rate=batch.min_judge_success_rate,
        min_attempts_for_failure=deps.config.pipeline.min_results_for_failure_rate,
        window=batch.max_in_flight,
    )


def refit_due(batch: Row, *, fraction: float) -> bool:
    """Refit when the new verdicts are a fair share of those in the last fit (not per result),
    and not before a first round's worth of verdicts (one per two essays) exists."""
    done = batch.comparisons_done
    new = done - batch.verdicts_at_last_fit
    first_round = max(1, n_items(batch) // 2)
    return done >= first_round and new >= max(1, math.ceil(fraction * batch.verdicts_at_last_fit))


async def refit_if_due(
    conn: AsyncConnection, batch: Row, deps: Deps, out: StepOutcome
) -> tuple[Row, statistics.FitSummary | None]:
    if not refit_due(batch, fraction=deps.config.pipeline.refit_fraction):
        return batch, None
    rows = await comparison_repo.judged(conn, batch.id)
    warm = statistics.warm_from(await batch_repo.latest_snapshot(conn, batch.id))
    started = time.perf_counter()
    rng = np.random.default_rng([batch.seed, batch.comparisons_done])
    summary = await asyncio.to_thread(_fit, n_items(batch), rows, rng, warm)
    out.refit_seconds += time.perf_counter() - started
    await batch_repo.insert_snapshot(
        conn,
        batch.id,
        comparisons=summary.n_comparisons,
        reliability=summary.reliability,
        ssr=summary.ssr,
        position_bias=summary.beta,
        position_bias_se=summary.beta_se,
        scores=summary.scores.tolist(),
        ses=summary.ses.tolist(),
        prior_sd=summary.prior_sd,
    )
    batch = await batch_repo.update_batch(
        conn,
        batch.id,
        reliability=summary.reliability,
        ssr=summary.ssr,
        verdicts_at_last_fit=batch.comparisons_done,
    )
    return batch, summary


def _fit(n: int, rows, rng: np.random.Generator, warm) -> statistics.FitSummary:
    return statistics.fit(statistics.verdicts(n, rows), rng=rng, warm=warm)


def chunked(batch: Row, want: int) -> int:
    """Planning reads the batch's whole pair history, so refill the window in chunks
    (a tenth of it) rather than one comparison per result -- unless that is all that is left."""
    remaining = batch.budget - batch.comparisons_done - batch.comparisons_in_flight
    chunk = max(1, batch.max_in_flight // 10)
    if want <= 0 or (batch.comparisons_in_flight > 0 and want < min(chunk, remaining)):
        return 0
    return want


async def top_up(
    conn: AsyncConnection,
    batch: Row,
    deps: Deps,
    out: StepOutcome,
    summary: statistics.FitSummary | None,
    *,
    count: int,
) -> Row:
    count = chunked(batch, count)
    if count == 0:
        return batch
    hist = planning.history(
        n_items(batch),
        await comparison_repo.pair_rows(conn, batch.id),
        max_pair_attempts=deps.config.pipeline.max_pair_attempts,
    )
    judged = _judged(n_items(batch), await comparison_repo.judged(conn, batch.id))
    rng = np.random.default_rng([batch.seed, batch.top_ups, batch.comparisons_created])
    pairs, requeued = await asyncio.to_thread(
        planning.plan, hist, count=count, rng=rng, judged=judged
    )
    if not pairs:
        return batch
    await comparison_repo.insert_planned(conn, batch.id, pairs)
    await comparison_repo.mark_requeued(conn, requeued)
    await batch_repo.add_orientation(conn, batch.id, [(p.idx_a, p.idx_b) for p in pairs])
    out.dispatch = True
    out.planned += len(pairs)
    return await batch_repo.update_batch(
        conn,
        batch.id,
        comparisons_created=batch.comparisons_created + len(pairs),
        comparisons_in_flight=batch.comparisons_in_flight + len(pairs),
        top_ups=batch.top_ups + 1,
    )


async def first_wave(conn: AsyncConnection, batch: Row, deps: Deps, out: StepOutcome) -> Row:
    """The opening comparisons of a new batch: fill the window (within the budget)."""
    want = min(batch.max_in_flight, batch.budget)
    return await top_up(conn, batch, deps, out, None, count=want)


def _judged(n: int, rows) -> planning.Judged | None:
    """The verdicts each chain plans from (domain/design.py); None before the first."""
    if not rows:
        return None
    v = statistics.verdicts(n, rows)
    return planning.Judged(v.comps, v.chain)
