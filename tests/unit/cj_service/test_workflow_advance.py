"""The step after new verdicts over in-memory ports: check when due, then plan, stop
planning, complete or fail, as domain/continuation decides."""

from __future__ import annotations

from cj_service.domain.assessment import Assessment, State
from cj_service.service.workflow import steps
from cj_service.service.workflow.contexts import Step
from cj_service.service.workflow.model import PlannedPair, ResolvedEssay, StepOutcome
from tests.unit.cj_service.workflow_fakes import FakeWorkflow, assessment

N = 10  # texts of the assessments below (8 essays, 2 anchors)


async def stored(w: FakeWorkflow, a: Assessment, *, judged: int = 0) -> None:
    """`a` with its texts and `judged` verdicts on neighbouring pairs, alternating chains."""
    essays = [ResolvedEssay(f"e{i}", f"Essay {i}.") for i in range(N)]
    async with w.store.transaction() as tx:
        await tx.assessments.add(a, essays)
        pairs = [PlannedPair(i % N, (i + 1 + i // N) % N, 1, i % 2) for i in range(judged)]
        await tx.comparisons.add_planned(a.id, pairs)
    for row in w.rows(a.id):
        row.status, row.winner = "JUDGED", 1 if row.idx_a < row.idx_b else 2
        row.provider, row.model = "simulated", "sim-judge"


async def advance(w: FakeWorkflow, a: Assessment) -> tuple[Assessment, StepOutcome]:
    out = StepOutcome(a.id)
    async with w.store.transaction() as tx:
        a = await steps.advance(Step(tx, w, out), a)
    return a, out


async def test_a_running_assessment_plans_within_its_window():
    w = FakeWorkflow()
    a = assessment(comparisons_done=4, verdicts_at_last_fit=4)
    await stored(w, a, judged=4)
    a, out = await advance(w, a)
    assert out.dispatch and 0 < out.planned <= 20 and a.top_ups == 1
    assert a.comparisons_in_flight == out.planned == len(w.rows(a.id, "PENDING"))


async def test_a_first_check_records_the_honest_reliability_and_a_snapshot():
    w = FakeWorkflow()
    a = assessment(comparisons_done=30, comparisons_in_flight=20)
    await stored(w, a, judged=30)
    a, out = await advance(w, a)
    assert a.verdicts_at_last_fit == 30 and 0 < a.reliability < 1 and a.fewest_comparisons > 0
    assert len(w.t.snapshots[a.id]) == 1 and a.ssr > 0 and out.refit_seconds > 0


async def test_a_reached_target_stops_planning_until_what_is_in_flight_is_back():
    w = FakeWorkflow()
    reached = dict(comparisons_done=60, verdicts_at_last_fit=60, reliability=0.99,
                   fewest_comparisons=6)
    a = assessment(**reached, comparisons_in_flight=4)
    await stored(w, a, judged=60)
    a, out = await advance(w, a)
    assert (a.state, a.completion_reason, out.planned) == (State.RUNNING,
                                                          "RELIABILITY_REACHED", 0)


async def test_a_spent_budget_with_nothing_in_flight_completes_with_results_and_events():
    w = FakeWorkflow()
    a = assessment(budget=30, comparisons_done=30, verdicts_at_last_fit=30)
    await stored(w, a, judged=30)
    a, out = await advance(w, a)
    assert (a.state, a.completion_reason, out.finished) == (State.COMPLETED, "BUDGET_SPENT",
                                                            "COMPLETED")
    assert a.id in w.t.results and [k for _, k in w.t.events] == [
        "completed", "result", "consumption"]


async def test_a_judge_that_mostly_fails_fails_the_assessment():
    w = FakeWorkflow()
    a = assessment(comparisons_done=2, comparisons_failed=10, verdicts_at_last_fit=2,
                   failed_attempts={"TIMEOUT": 10}, comparisons_in_flight=3)
    await stored(w, a, judged=2)
    a, out = await advance(w, a)
    assert (a.state, a.failure_reason) == (State.FAILED, "JUDGE_FAILURE_RATE")
    assert a.comparisons_in_flight == 0 and "TIMEOUT x10" in a.detail


async def test_an_ended_assessment_is_left_as_it_is():
    w = FakeWorkflow()
    a = assessment(state=State.CANCELLED)
    await stored(w, a)
    after, out = await advance(w, a)
    assert after == a and out == StepOutcome(a.id)
