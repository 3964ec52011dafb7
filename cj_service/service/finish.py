"""Terminal transitions: finalize (results + events), fail, cancel. Callers hold the row lock."""

from __future__ import annotations

import time

from sqlalchemy import func
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from cj_service.adapters import batch_repo, comparison_repo
from cj_service.service import events, results
from cj_service.service.deps import Deps
from cj_service.service.model import State, Status, StepOutcome

INSUFFICIENT = "INSUFFICIENT_ESSAYS"


async def finalize(
    conn: AsyncConnection, batch: Row, reason: str, deps: Deps, out: StepOutcome
) -> Row:
    """Final fit, grades and the three completion events, in the caller's transaction."""
    essays = [
        results.EssayInfo(e.essay_id, e.display_name, e.is_anchor, e.anchor_grade)
        for e in await batch_repo.load_essays(conn, batch.id)
    ]
    judged = await comparison_repo.judged(conn, batch.id)
    started = time.perf_counter()
    final = await deps.off_loop(
        results.compute,
        essays,
        judged,
        grade_scale_id=batch.grade_scale_id,
        seed=batch.seed,
        bootstrap_rounds=deps.config.pipeline.bootstrap_rounds,
        unfitted_reason=_unfitted_reason(reason),
        failed=[
            (r.idx_a, r.idx_b)
            for r in await comparison_repo.open_rows(conn, batch.id)
            if r.status == Status.FAILED
        ],
    )
    out.final_fit_seconds = time.perf_counter() - started
    await comparison_repo.abandon_in_flight(conn, batch.id)
    batch = await batch_repo.update_batch(
        conn,
        batch.id,
        state=State.COMPLETED.value,
        completion_reason=reason,
        finished_at=func.now(),
        comparisons_in_flight=0,
        results=final.SerializeToString(),
        reliability=final.fit.reliability,
        ssr=final.fit.ssr,
    )
    await events.completed(conn, batch, final)
    _finished(out, State.COMPLETED, reason, batch)
    return batch


def _unfitted_reason(reason: str) -> str:
    if reason == INSUFFICIENT:
        return "insufficient essays: fewer than two to compare"
    return "no verdicts to fit"


async def fail(
    conn: AsyncConnection, batch: Row, reason: str, detail: str, deps: Deps, out: StepOutcome
) -> Row:
    await comparison_repo.abandon_in_flight(conn, batch.id)
    batch = await batch_repo.update_batch(
        conn,
        batch.id,
        state=State.FAILED.value,
        failure_reason=reason,
        detail=detail,
        finished_at=func.now(),
        comparisons_in_flight=0,
    )
    await events.failed(conn, batch)
    _finished(out, State.FAILED, reason, batch)
    return batch


async def cancel(
    conn: AsyncConnection, batch: Row, detail: str, deps: Deps, out: StepOutcome
) -> Row:
    await comparison_repo.abandon_in_flight(conn, batch.id)
    batch = await batch_repo.update_batch(
        conn,
        batch.id,
        state=State.CANCELLED.value,
        detail=detail,
        finished_at=func.now(),
        comparisons_in_flight=0,
    )
    await events.consumption(conn, batch, await events.model_usage(conn, batch.id))
    _finished(out, State.CANCELLED, "CANCELLED", batch)
    return batch


def _finished(out: StepOutcome, state: State, reason: str, batch: Row) -> None:
    out.finished = state.value
    out.duration_s = (batch.finished_at - batch.created_at).total_seconds()
    out.reason = reason
    out.dispatch = False
