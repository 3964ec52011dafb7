"""A step's view of its batch's verdicts and chain fits, through the per-process memo.

Callers hold the batch row lock. `verdicts` is exact: the memo is used only when its count is
the locked row's `comparisons_done` (batch_cache.py says why that is enough), else the rows are
read. `chain_fits` reuses the chains' last fits while few verdicts are missing from them.

Refits start cold (design.refit_chains without `previous`), as the service always did, so a
fit depends on the verdicts only, never on which process made the previous one. (A warm start
let the prior width drift on an oracle judge: 8 essays / 40 verdicts then missed a neighbour
pair in about one run of six, against none cold, in the lifecycle test.)
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from cj_service.adapters import comparison_repo
from cj_service.domain import design
from cj_service.domain.bt import BTFit
from cj_service.service import statistics, views
from cj_service.service.batch_cache import Entry
from cj_service.service.deps import Deps
from cj_service.service.model import StepOutcome


def _memo(deps: Deps, out: StepOutcome, batch_id: str) -> Entry | None:
    return out.memo if out.memo is not None else deps.cache.get(batch_id)


def extend(deps: Deps, out: StepOutcome, batch: Row, done_before: int, fresh: Sequence) -> None:
    """Carry the memo over the verdicts this step just applied (rows as statistics.verdicts
    reads them), when it held exactly the `done_before` verdicts; keep its fits either way."""
    entry = deps.cache.get(batch.id)
    if entry is None:
        return
    known = entry.done == done_before and all(r.chain is not None for r in fresh)
    verdicts = entry.verdicts
    if known and fresh:
        verdicts = statistics.merge(verdicts, statistics.verdicts(views.n_texts(batch), fresh))
    done = done_before + len(fresh) if known else -1  # -1: fits only, verdicts unknown
    out.memo = dataclasses.replace(entry, done=done, verdicts=verdicts if known else None)


async def verdicts(
    conn: AsyncConnection, batch: Row, deps: Deps, out: StepOutcome
) -> statistics.Verdicts | None:
    """Every judged verdict of the locked batch (None before the first)."""
    memo = _memo(deps, out, batch.id)
    if memo is not None and memo.done == batch.comparisons_done:
        out.memo = memo
        return memo.verdicts
    rows = await comparison_repo.judged(conn, batch.id)
    v = statistics.verdicts(views.n_texts(batch), rows) if rows else None
    fits, fits_done = (memo.fits, memo.fits_done) if memo is not None else (None, 0)
    out.memo = Entry(batch.comparisons_done, v, fits, fits_done)
    return v


async def chain_fits(
    conn: AsyncConnection, batch: Row, deps: Deps, out: StepOutcome, *, max_stale: int
) -> tuple[BTFit, ...] | None:
    """Both chains' fits, refitted when more than `max_stale` verdicts are missing from the
    memoised ones; None until both chains have a verdict."""
    v = await verdicts(conn, batch, deps, out)
    if v is None or not design.has_every_chain(v.chain):
        return None
    memo: Entry = out.memo
    if _compatible(memo.fits, v) and memo.done - memo.fits_done <= max_stale:
        return memo.fits
    started = time.perf_counter()
    fits = await deps.off_loop(design.refit_chains, v.comps, v.chain)
    out.refit_seconds += time.perf_counter() - started
    out.memo = dataclasses.replace(memo, fits=fits, fits_done=memo.done)
    return fits


async def converged_fits(
    deps: Deps, v: statistics.Verdicts, out: StepOutcome
) -> tuple[BTFit, ...]:
    """Each chain fitted to convergence (what design.summarise does without `fits`)."""
    started = time.perf_counter()
    fits = await deps.off_loop(_converged, v)
    out.refit_seconds += time.perf_counter() - started
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


def remember(deps: Deps, out: StepOutcome) -> None:
    """After commit: keep the step's memo for the next step of the batch (or forget a
    finished batch)."""
    if out.finished:
        deps.cache.drop(out.batch_id)
    elif out.memo is not None:
        deps.cache.put(out.batch_id, out.memo)
