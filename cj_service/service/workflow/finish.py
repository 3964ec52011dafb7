"""Terminal transitions: finalize (results + events), fail, cancel, under the assessment's lock.

Every transition fits the verdicts paid for so far (a failed or cancelled assessment's results
are served as partial ones) and, after commit, asks llm_provider to stop its queued and
in-flight comparisons (effects.after_commit).
"""

from __future__ import annotations

import time

from cj_service.domain.assessment import Assessment
from cj_service.service.workflow import results
from cj_service.service.workflow.contexts import Step
from cj_service.service.workflow.model import Status
from cj_service.service.workflow.results import FinalResults

INSUFFICIENT = "INSUFFICIENT_ESSAYS"


async def finalize(step: Step, a: Assessment, reason: str) -> Assessment:
    """Final fit, grades and the three completion events, in the step's unit of work."""
    final = await final_results(step, a, _unfitted_reason(reason))
    a = await _end(step, a, a.complete(reason, final.fit, now=step.ctx.clock.now()), final)
    await step.tx.events.completed(a, final)
    _finished(step, a, reason)
    return a


async def fail(step: Step, a: Assessment, reason: str, detail: str) -> Assessment:
    final = await final_results(step, a, results.NO_VERDICTS)
    failed = a.fail(reason, detail, final.fit, now=step.ctx.clock.now())
    a = await _end(step, a, failed, final)
    await step.tx.events.failed(a)
    _finished(step, a, reason)
    return a


async def cancel(step: Step, a: Assessment, detail: str) -> Assessment:
    final = await final_results(step, a, results.NO_VERDICTS)
    a = await _end(step, a, a.cancel(detail, final.fit, now=step.ctx.clock.now()), final)
    await step.tx.events.cancelled(a)
    _finished(step, a, "CANCELLED")
    return a


async def _end(
    step: Step, before: Assessment, after: Assessment, final: FinalResults
) -> Assessment:
    """Abandon what is in flight and store the end with the results paid for so far."""
    await step.tx.comparisons.abandon_in_flight(before.id)
    return await step.tx.assessments.save(before, after, results=final)


async def final_results(step: Step, a: Assessment, unfitted_reason: str) -> FinalResults:
    """The fit of every verdict so far with grades (the unfitted result without verdicts)."""
    essays = [
        results.EssayInfo(e.essay_id, e.display_name, e.is_anchor, e.anchor_grade)
        for e in await step.tx.assessments.essays(a.id)
    ]
    judged = await step.tx.comparisons.judged(a.id)
    failed = [(r.idx_a, r.idx_b) for r in await step.tx.comparisons.open(a.id)
              if r.status == Status.FAILED]
    started = time.perf_counter()
    final = await step.ctx.off_loop(
        results.compute, essays, judged, grade_scale_id=a.grade_scale_id, seed=a.seed,
        unfitted_reason=unfitted_reason, failed=failed,
    )
    step.out.final_fit_seconds = time.perf_counter() - started
    return final


def _unfitted_reason(reason: str) -> str:
    if reason == INSUFFICIENT:
        return "insufficient essays: fewer than two to compare"
    return results.NO_VERDICTS


def _finished(step: Step, a: Assessment, reason: str) -> None:
    assert a.finished_at is not None and a.created_at is not None
    out = step.out
    out.finished = a.state.value
    out.duration_s = (a.finished_at - a.created_at).total_seconds()
    out.reason = reason
    out.dispatch = False
