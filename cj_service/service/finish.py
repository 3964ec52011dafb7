"""Terminal transitions: finalize (results + events), fail, cancel. Callers hold the row lock.

Every transition fits the verdicts paid for so far (a failed or cancelled batch's results are
served as partial ones) and, after commit, asks llm_provider to stop the batch's queued and
in-flight comparisons (effects.after_commit).
"""

from __future__ import annotations

import time

from sqlalchemy import func
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from cj_service.adapters import batch_repo, comparison_repo
from cj_service.service import events, results
from cj_service.service.deps import Deps
from cj_service.service.model import State, Status, StepOutcome
from contracts.huleedu.cj.v1 import cj_pb2

INSUFFICIENT = "INSUFFICIENT_ESSAYS"


async def finalize(
    conn: AsyncConnection, batch: Row, reason: str, deps: Deps, out: StepOutcome
) -> Row:
    """Final fit, grades and the three completion events, in the caller's transaction."""
    batch, final = await _end(conn, batch, deps, out, State.COMPLETED, _unfitted_reason(reason),
                              completion_reason=reason)
    await events.completed(conn, batch, final, max_payload=deps.max_payload)
    _finished(out, State.COMPLETED, reason, batch)
    return batch


async def _end(
    conn: AsyncConnection, batch: Row, deps: Deps, out: StepOutcome, state: State,
    unfitted_reason: str, **values: object,
) -> tuple[Row, cj_pb2.GetAssessmentResultsResponse]:
    """Fit what was paid for, abandon what is in flight, and record the terminal state."""
    final = await final_results(conn, batch, unfitted_reason, deps, out)
    await comparison_repo.abandon_in_flight(conn, batch.id)
    batch = await batch_repo.update_batch(
        conn,
        batch.id,
        state=state.value,
        finished_at=func.now(),
        comparisons_in_flight=0,
        results=final.SerializeToString(),
        **fit_values(final),
        **values,
    )
    return batch, final


async def final_results(
    conn: AsyncConnection, batch: Row, unfitted_reason: str, deps: Deps, out: StepOutcome
) -> cj_pb2.GetAssessmentResultsResponse:
    """The fit of every verdict so far with grades (the unfitted result without verdicts)."""
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
        unfitted_reason=unfitted_reason,
        failed=[
            (r.idx_a, r.idx_b)
            for r in await comparison_repo.open_rows(conn, batch.id)
            if r.status == Status.FAILED
        ],
    )
    out.final_fit_seconds = time.perf_counter() - started
    return final


def fit_values(final: cj_pb2.GetAssessmentResultsResponse) -> dict[str, float]:
    """The batch columns the final fit sets (none when there was nothing to fit)."""
    fit = final.fit
    if not fit.comparisons:
        return {}
    return {
        "reliability": fit.reliability,
        "ssr": fit.ssr,
        "position_bias": fit.position_bias,
        "position_bias_se": fit.position_bias_se,
    }


def _unfitted_reason(reason: str) -> str:
    if reason == INSUFFICIENT:
        return "insufficient essays: fewer than two to compare"
    return results.NO_VERDICTS


async def fail(
    conn: AsyncConnection, batch: Row, reason: str, detail: str, deps: Deps, out: StepOutcome
) -> Row:
    batch, _ = await _end(conn, batch, deps, out, State.FAILED, results.NO_VERDICTS,
                          failure_reason=reason, detail=detail)
    await events.failed(conn, batch, max_payload=deps.max_payload)
    _finished(out, State.FAILED, reason, batch)
    return batch


async def cancel(
    conn: AsyncConnection, batch: Row, detail: str, deps: Deps, out: StepOutcome
) -> Row:
    batch, _ = await _end(conn, batch, deps, out, State.CANCELLED, results.NO_VERDICTS,
                          detail=detail)
    await events.cancelled(conn, batch, max_payload=deps.max_payload)
    _finished(out, State.CANCELLED, "CANCELLED", batch)
    return batch


def _finished(out: StepOutcome, state: State, reason: str, batch: Row) -> None:
    out.finished = state.value
    out.duration_s = (batch.finished_at - batch.created_at).total_seconds()
    out.reason = reason
    out.dispatch = False
