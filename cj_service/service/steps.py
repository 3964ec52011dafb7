"""The guarded step every change of a running batch ends with: refit, stop or top up.

Callers hold the batch row lock (SELECT ... FOR UPDATE) inside one transaction, so on any
replica only one step of a batch runs at a time, and the watchdog (which uses SKIP LOCKED)
never acts on a batch while a step is in progress.
"""

from __future__ import annotations

import math
import time

import numpy as np
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from cj_service.adapters import batch_repo, comparison_repo
from cj_service.domain import judge_health, stopping
from cj_service.service import finish, live_fits, planning, statistics, views
from cj_service.service.deps import Deps
from cj_service.service.model import State, StepOutcome

LIVE = (State.SUBMITTED.value, State.RUNNING.value)
# A cheap chain figure (3 prior rounds, maybe half a window old) is recomputed from converged
# chain fits once its odds R/(1-R) reach this share of the target's. The odds grow about in
# proportion to the verdicts (Spearman-Brown), so "near" means "within twice the verdicts".
NEAR_TARGET_ODDS = 0.5


async def advance(conn: AsyncConnection, batch: Row, deps: Deps, out: StepOutcome) -> Row:
    """Decide continue / finalize / fail for a locked, live batch; top up when continuing."""
    if batch.state not in LIVE:
        return batch
    batch = await check_if_due(conn, batch, deps, out)
    decision = stopping.decide(progress(batch), policy(batch, deps))
    if decision.action == stopping.FAIL:
        detail = judge_health.failure_rate_detail(
            decision.detail, batch.failed_attempts or {}, batch.last_error
        )
        return await finish.fail(conn, batch, "JUDGE_FAILURE_RATE", detail, deps, out)
    reason = batch.completion_reason or _REASONS.get(decision.reason, "")
    if decision.action == stopping.FINALIZE or batch.completion_reason:
        if batch.comparisons_in_flight == 0:
            return await finish.finalize(conn, batch, reason, deps, out)
        if not batch.completion_reason:  # stop planning; use the verdicts already paid for
            batch = await batch_repo.update_batch(conn, batch.id, completion_reason=reason)
        return batch
    batch = await top_up(conn, batch, deps, out, count=decision.submit)
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
        n_essays=views.n_texts(batch),
        done=batch.comparisons_done,
        failed=batch.comparisons_failed,
        in_flight=batch.comparisons_in_flight,
        budget=batch.budget,
        reliability=batch.reliability if fitted else None,
        fewest_per_essay=batch.fewest_comparisons,
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
    first_round = max(1, views.n_texts(batch) // 2)
    return done >= first_round and new >= max(1, math.ceil(fraction * batch.verdicts_at_last_fit))


async def check_if_due(conn: AsyncConnection, batch: Row, deps: Deps, out: StepOutcome) -> Row:
    """The stopping rule's input: the honest reliability (split half of the two chains).

    Far below the target the planner's cheap chain fits (design.refit_chains) show that it is
    not reached; near it the chains are fitted to convergence, so the figure the stopping
    rule acts on is the one it always used (design.summarise's). SSR only feeds the snapshot
    history: a few times per budget."""
    if not refit_due(batch, fraction=deps.config.pipeline.refit_fraction):
        return batch
    stale = int(batch.max_in_flight * deps.config.pipeline.chain_refit_fraction)
    fits = await live_fits.chain_fits(conn, batch, deps, out, max_stale=stale)
    v = out.memo.verdicts
    reliability = statistics.honest_reliability(v, fits) if fits else 0.0
    if fits and near_target(reliability, batch.target_reliability):
        fits = await live_fits.converged_fits(deps, v, out)
        reliability = statistics.honest_reliability(v, fits)
    values = {
        "reliability": reliability,
        "verdicts_at_last_fit": batch.comparisons_done,
        "fewest_comparisons": fewest_comparisons(v, await _unjudgeable(conn, batch, deps, v)),
    }
    if v is not None and snapshot_due(batch, deps.config.pipeline.snapshots_per_budget):
        values.update(await _snapshot(conn, batch, deps, v, reliability, out))
    return await batch_repo.update_batch(conn, batch.id, **values)


def fewest_comparisons(v: statistics.Verdicts | None, skip: np.ndarray | None = None) -> int:
    """Judged comparisons of the least-compared text (0 while any text has none), leaving
    out the texts in `skip` (those the judge cannot compare)."""
    if v is None or v.comps.n_items == 0:
        return 0
    counts = v.comps.per_item()
    counts = counts if skip is None else counts[~skip]
    return int(counts.min()) if counts.size else 0


async def _unjudgeable(
    conn: AsyncConnection, batch: Row, deps: Deps, v: statistics.Verdicts | None
) -> np.ndarray | None:
    if v is None:
        return None
    return planning.unjudgeable(await _history(conn, batch, deps), v.comps.per_item())


async def _history(conn: AsyncConnection, batch: Row, deps: Deps) -> planning.History:
    """The batch's comparisons not yet judged, as the planner reads them."""
    rows = await comparison_repo.open_rows(conn, batch.id)
    return planning.history(
        views.n_texts(batch), rows, max_pair_attempts=deps.config.pipeline.max_pair_attempts
    )


def near_target(reliability: float, target: float) -> bool:
    if reliability >= target:
        return True
    return reliability / (1 - reliability) >= NEAR_TARGET_ODDS * target / max(1e-12, 1 - target)


def max_stale(batch: Row, deps: Deps) -> int:
    """How many verdicts the chain fits may miss: a share of the in-flight window (whose
    verdicts the planner cannot see anyway) and of the evidence (config.py: measured)."""
    p = deps.config.pipeline
    by_window = batch.max_in_flight * p.chain_refit_fraction
    return int(min(by_window, batch.comparisons_done * p.chain_stale_fraction))


def snapshot_due(batch: Row, per_budget: int) -> bool:
    """At the first check and whenever another 1/per_budget of the budget has been spent."""
    step = max(1, batch.budget // max(1, per_budget))
    last = batch.verdicts_at_last_fit
    return last == 0 or batch.comparisons_done // step > last // step


async def _snapshot(
    conn: AsyncConnection, batch: Row, deps: Deps, v, reliability: float, out: StepOutcome
) -> dict[str, float]:
    """A point of the fit history: the honest figure the check computed, and SSR with the
    scores and bias of its one fixed-prior fit (the empirical-Bayes fit of all verdicts,
    three times dearer, is left to the final result). Returns the batch columns it sets."""
    started = time.perf_counter()
    ssr, fit = await deps.off_loop(statistics.naive_fit, v)
    out.refit_seconds += time.perf_counter() - started
    await batch_repo.insert_snapshot(
        conn,
        batch.id,
        comparisons=v.comps.size,
        reliability=reliability,
        ssr=ssr,
        position_bias=float(fit.beta[0]),
        position_bias_se=float(fit.beta_se[0]),
        scores=fit.scores.tolist(),
        ses=fit.se.tolist(),
        prior_sd=fit.prior_sd,
    )
    return {
        "ssr": ssr,
        "position_bias": float(fit.beta[0]),
        "position_bias_se": float(fit.beta_se[0]),
    }


def chunked(batch: Row, want: int, *, fraction: float) -> int:
    """Each top-up refits and plans, so refill the window in chunks (a share of it) rather
    than one comparison per result -- unless that is all that is left."""
    remaining = batch.budget - batch.comparisons_done - batch.comparisons_in_flight
    chunk = max(1, int(batch.max_in_flight * fraction))
    if want <= 0 or (batch.comparisons_in_flight > 0 and want < min(chunk, remaining)):
        return 0
    return want


async def top_up(
    conn: AsyncConnection, batch: Row, deps: Deps, out: StepOutcome, *, count: int
) -> Row:
    p = deps.config.pipeline
    count = chunked(batch, count, fraction=p.top_up_fraction)
    if count == 0:
        return batch
    hist = await _history(conn, batch, deps)
    judged = await _judged(conn, batch, deps, out)
    rng = np.random.default_rng([batch.seed, batch.top_ups, batch.comparisons_created])
    pairs, requeued = await deps.off_loop(planning.plan, hist, count=count, rng=rng, judged=judged)
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
    return await top_up(conn, batch, deps, out, count=want)


async def _judged(
    conn: AsyncConnection, batch: Row, deps: Deps, out: StepOutcome
) -> planning.Judged | None:
    """The verdicts each chain plans from (domain/design.py) and the chains' fits, reused
    until the verdicts they miss reach a share of the window; None before the first."""
    fits = await live_fits.chain_fits(conn, batch, deps, out, max_stale=max_stale(batch, deps))
    v = out.memo.verdicts
    return None if v is None else planning.Judged(v.comps, v.chain, fits)
