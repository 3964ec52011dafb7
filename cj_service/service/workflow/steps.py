"""The guarded step every change of a running assessment ends with: check, stop or top up.

The decisions are domain/continuation.py's; this is the I/O around them. Callers hold the
assessment's lock for the whole unit of work, so on any replica only one step of an
assessment runs at a time, and the watchdog (which skips locked ones) never acts on one while
a step is in progress.
"""

from __future__ import annotations

import time

import numpy as np

from cj_service.domain import continuation
from cj_service.domain.assessment import Assessment, Fit
from cj_service.domain.continuation import Action, Next
from cj_service.service.workflow import finish, live_fits, planning, statistics
from cj_service.service.workflow.contexts import Step
from cj_service.service.workflow.records import Snapshot


async def advance(step: Step, a: Assessment) -> Assessment:
    """Check (when due), then continue, stop or end a live assessment."""
    if not a.is_live:
        return a
    p = step.ctx.pipeline
    if continuation.check_due(a, fraction=p.refit_fraction):
        a = await check(step, a)
    after = continuation.decide(a, min_attempts_for_failure=p.min_results_for_failure_rate,
                                top_up_fraction=p.top_up_fraction)
    if after.action == Action.PLAN:
        a = await top_up(step, a, count=after.count)
        after = continuation.after_planning(a)
    return await _act(step, a, after)


async def _act(step: Step, a: Assessment, after: Next) -> Assessment:
    if after.action == Action.FAIL:
        return await finish.fail(step, a, after.reason, after.detail)
    if after.action == Action.COMPLETE:
        return await finish.finalize(step, a, after.reason)
    if after.action == Action.STOP_PLANNING:
        return await step.tx.assessments.save(a, a.stop_planning(after.reason))
    return a


async def check(step: Step, a: Assessment) -> Assessment:
    """The stopping rule's input: the honest reliability (split half of the two chains).

    Far below the target the planner's cheap chain fits (design.refit_chains) show that it is
    not reached; near it the chains are fitted to convergence, so the figure the stopping
    rule acts on is the one it always used (design.summarise's). SSR only feeds the snapshot
    history: a few times per budget."""
    p = step.ctx.pipeline
    stale = int(a.max_in_flight * p.chain_refit_fraction)
    fits = await live_fits.chain_fits(step, a, max_stale=stale)
    v = step.out.memo.verdicts if step.out.memo is not None else None
    reliability = statistics.honest_reliability(v, fits) if v is not None and fits else 0.0
    if v is not None and fits and continuation.near_target(reliability, a.target_reliability):
        fits = await live_fits.converged_fits(step, v)
        reliability = statistics.honest_reliability(v, fits)
    fewest = fewest_comparisons(v, await _unjudgeable(step, a, v))
    fit = None
    if v is not None and continuation.snapshot_due(a, p.snapshots_per_budget):
        fit = await _snapshot(step, a, v, reliability)
    return await step.tx.assessments.save(a, a.record_check(reliability, fewest, fit))


def fewest_comparisons(v: statistics.Verdicts | None, skip: np.ndarray | None = None) -> int:
    """Judged comparisons of the least-compared text (0 while any text has none), leaving
    out the texts in `skip` (those the judge cannot compare)."""
    if v is None or v.comps.n_items == 0:
        return 0
    counts = v.comps.per_item()
    counts = counts if skip is None else counts[~skip]
    return int(counts.min()) if counts.size else 0


async def _unjudgeable(
    step: Step, a: Assessment, v: statistics.Verdicts | None
) -> np.ndarray | None:
    if v is None:
        return None
    return planning.unjudgeable(await _history(step, a), v.comps.per_item())


async def _history(step: Step, a: Assessment) -> planning.History:
    """The comparisons not yet judged, as the planner reads them."""
    rows = await step.tx.comparisons.open(a.id)
    return planning.history(a.n_texts, rows,
                            max_pair_attempts=step.ctx.pipeline.max_pair_attempts)


async def _snapshot(step: Step, a: Assessment, v: statistics.Verdicts, reliability: float) -> Fit:
    """A point of the fit history: the honest figure the check computed, and SSR with the
    scores and bias of its one fixed-prior fit (the empirical-Bayes fit of all verdicts,
    three times dearer, is left to the final result). Returns the figures it recorded."""
    started = time.perf_counter()
    ssr, fit = await step.ctx.off_loop(statistics.naive_fit, v)
    step.out.refit_seconds += time.perf_counter() - started
    figures = Fit(reliability, ssr, float(fit.beta[0]), float(fit.beta_se[0]))
    await step.tx.assessments.add_snapshot(a.id, Snapshot(
        v.comps.size, reliability, ssr, figures.position_bias, figures.position_bias_se,
        fit.scores.tolist(), fit.se.tolist(), fit.prior_sd))
    return figures


async def top_up(step: Step, a: Assessment, *, count: int) -> Assessment:
    """Plan up to `count` comparisons (re-queued failures first) and persist them PENDING."""
    hist = await _history(step, a)
    judged = await _judged(step, a)
    rng = np.random.default_rng([a.seed, a.top_ups, a.comparisons_created])
    pairs, requeued = await step.ctx.off_loop(planning.plan, hist, count=count, rng=rng,
                                              judged=judged)
    if not pairs:
        return a
    await step.tx.comparisons.add_planned(a.id, pairs)
    await step.tx.comparisons.mark_requeued(requeued)
    await step.tx.assessments.add_orientation(a.id, [(p.idx_a, p.idx_b) for p in pairs])
    step.out.dispatch = True
    step.out.planned += len(pairs)
    return await step.tx.assessments.save(a, a.record_planned(len(pairs)))


async def first_wave(step: Step, a: Assessment) -> Assessment:
    """The opening comparisons of a new assessment: fill the window (within the budget)."""
    return await top_up(step, a, count=min(a.max_in_flight, a.budget))


async def _judged(step: Step, a: Assessment) -> planning.Judged | None:
    """The verdicts each chain plans from (domain/design.py) and the chains' fits, reused
    until the verdicts they miss reach a share of the window; None before the first."""
    p = step.ctx.pipeline
    stale = continuation.max_stale(a, window_share=p.chain_refit_fraction,
                                   evidence_share=p.chain_stale_fraction)
    fits = await live_fits.chain_fits(step, a, max_stale=stale)
    v = step.out.memo.verdicts if step.out.memo is not None else None
    return None if v is None else planning.Judged(v.comps, v.chain, fits)
