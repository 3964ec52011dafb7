"""A step's view of its assessment's verdicts and chain fits, through the per-process memo.

Callers hold the assessment's lock. `verdicts` is exact: the memo is used only when its count
is the locked assessment's `comparisons_done` (batch_cache.py says why that is enough), else
the verdicts are read. `chain_fits` reuses the chains' last fits while few verdicts are
missing from them.

Refits start cold (design.refit_chains without `previous`), as the service always did, so a
fit depends on the verdicts only, never on which process made the previous one. (A warm start
let the prior width drift on an oracle judge: 8 essays / 40 verdicts then missed a neighbour
pair in about one run of six, against none cold, in the lifecycle test.)
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

from cj_service.domain import design
from cj_service.domain.assessment import Assessment
from cj_service.domain.bt import BTFit
from cj_service.service.workflow import statistics
from cj_service.service.workflow.batch_cache import Entry
from cj_service.service.workflow.contexts import Step, Stepping
from cj_service.service.workflow.model import StepOutcome
from cj_service.service.workflow.records import Verdict


def _memo(step: Step, assessment_id: str) -> Entry | None:
    return step.out.memo if step.out.memo is not None else step.ctx.cache.get(assessment_id)


def extend(step: Step, a: Assessment, done_before: int, fresh: Sequence[Verdict]) -> None:
    """Carry the memo over the verdicts this step just applied, when it held exactly the
    `done_before` verdicts; keep its fits either way."""
    entry = step.ctx.cache.get(a.id)
    if entry is None:
        return
    known = entry.done == done_before and all(r.chain is not None for r in fresh)
    verdicts = entry.verdicts
    if known and fresh:
        verdicts = statistics.merge(verdicts, statistics.verdicts(a.n_texts, fresh))
    done = done_before + len(fresh) if known else -1  # -1: fits only, verdicts unknown
    step.out.memo = dataclasses.replace(entry, done=done, verdicts=verdicts if known else None)


async def verdicts(step: Step, a: Assessment) -> statistics.Verdicts | None:
    """Every judged verdict of the locked assessment (None before the first)."""
    memo = _memo(step, a.id)
    if memo is not None and memo.done == a.comparisons_done:
        step.out.memo = memo
        return memo.verdicts
    rows = await step.tx.comparisons.judged(a.id)
    v = statistics.verdicts(a.n_texts, rows) if rows else None
    fits, fits_done = (memo.fits, memo.fits_done) if memo is not None else (None, 0)
    step.out.memo = Entry(a.comparisons_done, v, fits, fits_done)
    return v


async def chain_fits(step: Step, a: Assessment, *, max_stale: int) -> tuple[BTFit, ...] | None:
    """Both chains' fits, refitted when more than `max_stale` verdicts are missing from the
    memoised ones; None until both chains have a verdict."""
    v = await verdicts(step, a)
    memo = step.out.memo
    if v is None or memo is None or not design.has_every_chain(v.chain):
        return None
    if _compatible(memo.fits, v) and memo.done - memo.fits_done <= max_stale:
        return memo.fits
    started = time.perf_counter()
    fits = await step.ctx.off_loop(design.refit_chains, v.comps, v.chain)
    step.out.refit_seconds += time.perf_counter() - started
    step.out.memo = dataclasses.replace(memo, fits=fits, fits_done=memo.done)
    return fits


async def converged_fits(step: Step, v: statistics.Verdicts) -> tuple[BTFit, ...]:
    """Each chain fitted to convergence (what design.summarise does without `fits`)."""
    started = time.perf_counter()
    fits = await step.ctx.off_loop(_converged, v)
    step.out.refit_seconds += time.perf_counter() - started
    return fits


def _converged(v: statistics.Verdicts) -> tuple[BTFit, ...]:
    return tuple(
        design.fit_scores(design.subset(v.comps, v.chain == h)) for h in range(design.CHAINS)
    )


def _compatible(fits: tuple[BTFit, ...] | None, v: statistics.Verdicts) -> bool:
    """Fits of the same parameter layout (essays + one beta per judge)."""
    return fits is not None and all(
        f.scores.size == v.comps.n_items and f.beta.size == v.comps.n_judges for f in fits
    )


def remember(ctx: Stepping, out: StepOutcome) -> None:
    """After commit: keep the step's memo for the assessment's next step (or forget one that
    ended)."""
    if out.finished:
        ctx.cache.drop(out.batch_id)
    elif out.memo is not None:
        ctx.cache.put(out.batch_id, out.memo)
