"""Applying results over in-memory ports: each recorded once, counts and spend moved, the
window refilled, and the assessment ended when the judge cannot be used or the budget is
spent."""

from __future__ import annotations

import pytest

from cj_service.adapters import incoming
from cj_service.domain.assessment import State
from cj_service.service.workflow import apply
from cj_service.service.workflow.model import EssayIn, JudgeSettings, StoppingIn, SubmitCommand
from cj_service.service.workflow.records import Result
from cj_service.service.workflow.submit import submit_assessment
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from tests.unit.cj_service.store_fakes import FakeComparisons
from tests.unit.cj_service.workflow_fakes import FakeWorkflow

JUDGE = JudgeSettings(provider="simulated", model="sim-judge")


def verdict(cid: str, winner: int = llm_pb2.WINNER_ESSAY_A) -> Result:
    return incoming.read(llm_pb2.ComparisonResult(
        request_id=cid, provider="simulated", model="sim-judge", cost_usd=0.001, attempts=1,
        usage=common_pb2.TokenUsage(prompt_tokens=100, completion_tokens=10),
        verdict=llm_pb2.ComparisonVerdict(winner=winner, confidence=3, justification="A."),
    ))


def error(cid: str, reason: int, message: str = "no") -> Result:
    return incoming.read(llm_pb2.ComparisonResult(
        request_id=cid, error=llm_pb2.ComparisonError(reason=reason, message=message)))


async def running(w: FakeWorkflow, n: int = 6, **stopping) -> str:
    essays = tuple(EssayIn(f"e{i}", text=f"Essay {i}.") for i in range(n))
    cmd = SubmitCommand("r1", "f1", essays, JUDGE, stopping=StoppingIn(**stopping))
    a, _ = await submit_assessment(w, cmd)
    w.kicked.clear()
    return a.id


async def test_a_verdict_is_recorded_with_its_spend_and_counted_once():
    w = FakeWorkflow()
    aid = await running(w, budget=12, max_in_flight=4)
    first = w.rows(aid)[0].id
    out = await apply.apply_results(w, aid, [verdict(first)])
    a = w.t.assessments[aid]
    assert (out.applied, a.comparisons_done, a.cost_usd, a.prompt_tokens) == (1, 1, 0.001, 100)
    assert w.t.comparisons[first].status == "JUDGED" and a.verdict_at == w.clock.now()
    again = await apply.apply_results(w, aid, [verdict(first)])
    assert (again.applied, again.duplicates) == (0, 1)
    assert w.t.assessments[aid].comparisons_done == 1


async def test_the_window_is_refilled_once_a_chunk_of_it_is_back():
    w = FakeWorkflow()
    aid = await running(w, budget=40, max_in_flight=4)
    opening = [r.id for r in w.rows(aid)]
    out = await apply.apply_results(w, aid, [verdict(c) for c in opening[:2]])
    a = w.t.assessments[aid]
    assert out.dispatch and out.planned == 2 and a.comparisons_in_flight == 4
    assert a.comparisons_created == 6 and a.top_ups == 2


async def test_results_of_an_unknown_assessment_are_counted_not_applied():
    w = FakeWorkflow()
    out = await apply.apply_results(w, "nobody", [verdict("c1")])
    assert out.outcomes == {"unknown": 1} and out.applied == 0


async def test_a_judge_that_cannot_be_used_fails_the_assessment_at_once():
    w = FakeWorkflow()
    aid = await running(w)
    unsupported = llm_pb2.COMPARISON_ERROR_REASON_UNSUPPORTED_FEATURE
    out = await apply.apply_results(w, aid, [error(w.rows(aid)[0].id, unsupported, "no JSON")])
    a = w.t.assessments[aid]
    assert (a.state, a.failure_reason, out.finished) == (State.FAILED, "JUDGE_MISCONFIGURED",
                                                          "FAILED")
    assert "UNSUPPORTED_FEATURE: no JSON" in a.detail
    assert [k for _, k in w.t.events] == ["failed", "consumption"]
    assert not w.rows(aid, "SUBMITTED") and not w.rows(aid, "PENDING")


async def test_the_last_verdict_of_the_budget_completes_the_assessment_with_results():
    w = FakeWorkflow()
    aid = await running(w, 4, budget=2, max_in_flight=2)
    out = await apply.apply_results(w, aid, [verdict(r.id) for r in w.rows(aid)])
    a = w.t.assessments[aid]
    assert (a.state, a.completion_reason) == (State.COMPLETED, "BUDGET_SPENT")
    assert out.finished == "COMPLETED" and aid in w.t.results and w.cache.get(aid) is None


async def test_a_late_result_adds_only_its_spend_once():
    w = FakeWorkflow()
    aid = await running(w, budget=8, max_in_flight=2)
    flying = w.rows(aid)[0].id
    a = w.t.assessments[aid]
    async with w.store.transaction() as tx:  # ended meanwhile (cancelled, say)
        await tx.comparisons.abandon_in_flight(aid)
        await tx.assessments.save(a, a.cancel("stop", None, now=w.clock.now()))
    for _ in range(2):
        out = await apply.apply_results(w, aid, [verdict(flying)])
        assert (out.late, out.applied) == (1, 0)
    ended = w.t.assessments[aid]
    assert (ended.cost_usd, ended.comparisons_done, ended.state) == (0.001, 0, State.CANCELLED)


async def test_a_result_the_store_refuses_leaves_nothing_behind(monkeypatch):
    w = FakeWorkflow()
    aid = await running(w)
    before = w.t.assessments[aid]

    async def refuse(self, outcomes):
        raise RuntimeError("refused")

    monkeypatch.setattr(FakeComparisons, "record", refuse)
    with pytest.raises(RuntimeError):
        await apply.apply_results(w, aid, [verdict(w.rows(aid)[0].id)])
    assert w.t.assessments[aid] == before and w.rows(aid)[0].status == "PENDING"
