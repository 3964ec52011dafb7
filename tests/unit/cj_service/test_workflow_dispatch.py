"""Sending comparisons over in-memory ports: accepted ones become SUBMITTED, refused ones
failed comparisons for good, and nothing is sent for an assessment that ended."""

from __future__ import annotations

from cj_service.domain.assessment import State
from cj_service.service.workflow.dispatch import send_pending
from cj_service.service.workflow.model import EssayIn, JudgeSettings, StoppingIn, SubmitCommand
from cj_service.service.workflow.submit import submit_assessment
from tests.unit.cj_service.workflow_fakes import FakeWorkflow

JUDGE = JudgeSettings(provider="simulated", model="sim-judge")


async def running(w: FakeWorkflow) -> str:
    essays = tuple(EssayIn(f"e{i}", text=f"Essay {i}.") for i in range(6))
    stopping = StoppingIn(budget=12, max_in_flight=3)
    a, _ = await submit_assessment(w, SubmitCommand("r1", "f1", essays, JUDGE, stopping))
    return a.id


async def test_pending_comparisons_are_sent_with_their_texts_and_marked_submitted():
    w = FakeWorkflow()
    aid = await running(w)
    await send_pending(w, aid)
    assert len(w.judge.sent) == 3 and not w.rows(aid, "PENDING")
    first = w.rows(aid)[0]
    assert w.judge.sent[0].essay_a == f"Essay {first.idx_a}."
    assert len(w.rows(aid, "SUBMITTED")) == 3


async def test_a_refused_request_fails_its_comparison_for_good():
    w = FakeWorkflow()
    aid = await running(w)
    refused = w.rows(aid)[0].id
    w.judge.reject[refused] = "CONTEXT_TOO_LONG"
    await send_pending(w, aid)
    row = w.t.comparisons[refused]
    assert row.status == "FAILED" and not row.error_retryable
    assert w.t.assessments[aid].comparisons_failed == 1


async def test_nothing_is_sent_while_llm_provider_is_down_or_once_the_assessment_ended():
    w = FakeWorkflow()
    aid = await running(w)
    w.judge.down = True
    await send_pending(w, aid)
    assert len(w.rows(aid, "PENDING")) == 3
    w.judge.down = False
    a = w.t.assessments[aid]
    w.t.assessments[aid] = a.cancel("stop", None, now=w.clock.now())
    await send_pending(w, aid)
    assert w.judge.sent == [] and w.t.assessments[aid].state == State.CANCELLED
