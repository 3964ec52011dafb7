"""Ending an assessment over in-memory ports: final results of the verdicts paid for,
comparisons in flight abandoned, the events written, and what happens after commit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cj_service.domain.assessment import State
from cj_service.service.workflow import cancel, finish
from cj_service.service.workflow.contexts import Step
from cj_service.service.workflow.model import CancelCommand, PlannedPair, ResolvedEssay, StepOutcome
from contracts.errors import ServiceError
from tests.unit.cj_service.workflow_fakes import FakeWorkflow, assessment


async def running(w: FakeWorkflow, *, judged: int, flying: int):
    a = assessment(comparisons_done=judged, comparisons_in_flight=flying)
    essays = [ResolvedEssay(f"e{i}", f"Essay {i}.") for i in range(a.n_texts)]
    async with w.store.transaction() as tx:
        await tx.assessments.add(a, essays)
        pairs = [PlannedPair(i % 10, (i + 1) % 10, 1, i % 2) for i in range(judged + flying)]
        await tx.comparisons.add_planned(a.id, pairs)
    for row in w.rows(a.id)[:judged]:
        row.status, row.winner, row.provider = "JUDGED", 1, "simulated"
    w.clock.at += timedelta(seconds=90)
    return a


async def test_finalizing_fits_the_verdicts_abandons_the_rest_and_writes_the_events():
    w = FakeWorkflow()
    a = await running(w, judged=12, flying=3)
    out = StepOutcome(a.id)
    async with w.store.transaction() as tx:
        done = await finish.finalize(Step(tx, w, out), a, "STALLED")
    assert (done.state, done.completion_reason, done.comparisons_in_flight) == (
        State.COMPLETED, "STALLED", 0)
    assert len(w.rows(a.id, "ABANDONED")) == 3 and len(w.rows(a.id, "JUDGED")) == 12
    final = w.t.results[a.id]
    assert final.summary.n_comparisons == 12 and len(final.essays) == 10
    assert done.reliability == pytest.approx(final.summary.reliability)
    assert (out.finished, out.reason, out.duration_s) == ("COMPLETED", "STALLED", 90.0)


async def test_failing_without_verdicts_keeps_unfitted_results_and_the_figures_it_had():
    w = FakeWorkflow()
    a = await running(w, judged=0, flying=2)
    out = StepOutcome(a.id)
    async with w.store.transaction() as tx:
        failed = await finish.fail(Step(tx, w, out), a, "STALLED", "no progress")
    final = w.t.results[a.id]
    assert (failed.state, failed.failure_reason, failed.detail) == (
        State.FAILED, "STALLED", "no progress")
    assert final.summary is None and final.unfitted_reason == "no verdicts to fit"
    assert [k for _, k in w.t.events] == ["failed", "consumption"]


async def test_cancelling_ends_it_once_and_tells_llm_provider_after_commit():
    w = FakeWorkflow()
    a = await running(w, judged=2, flying=2)
    done = await cancel.cancel_assessment(w, CancelCommand(a.id, "c1", "enough"))
    assert (done.state, done.detail) == (State.CANCELLED, "enough")
    assert w.cancels == [(a.id, "assessment cancelled (CANCELLED)")] and w.wakeups == 1
    again = await cancel.cancel_assessment(w, CancelCommand(a.id, "c1", "enough"))
    assert again == done and len(w.cancels) == 1


async def test_an_assessment_that_ended_otherwise_cannot_be_cancelled():
    w = FakeWorkflow()
    a = await running(w, judged=2, flying=0)
    out = StepOutcome(a.id)
    async with w.store.transaction() as tx:
        await finish.finalize(Step(tx, w, out), a, "BUDGET_SPENT")
    with pytest.raises(ServiceError) as err:
        await cancel.cancel_assessment(w, CancelCommand(a.id))
    assert err.value.reason == "INVALID_STATE"


async def test_cancelling_an_unknown_assessment_is_not_found():
    with pytest.raises(ServiceError) as err:
        await cancel.cancel_assessment(FakeWorkflow(), CancelCommand("nobody"))
    assert err.value.reason == "ASSESSMENT_NOT_FOUND"
