"""SubmitAssessment over in-memory ports: stored once, the first wave planned, refusals
before anything is written."""

from __future__ import annotations

import pytest

from cj_service.domain.assessment import State
from cj_service.service.workflow.model import EssayIn, JudgeSettings, StoppingIn, SubmitCommand
from cj_service.service.workflow.submit import submit_assessment
from contracts.errors import ServiceError
from tests.unit.cj_service.workflow_fakes import FakeWorkflow

JUDGE = JudgeSettings(provider="simulated", model="sim-judge")


def command(n: int = 6, *, request_id: str = "r1", fingerprint: str = "f1", **kw) -> SubmitCommand:
    essays = tuple(EssayIn(f"e{i}", text=f"Essay number {i}. " * (i + 1)) for i in range(n))
    kw.setdefault("judge", JUDGE)
    return SubmitCommand(request_id=request_id, fingerprint=fingerprint, essays=essays, **kw)


async def test_a_submission_is_stored_running_with_its_first_wave_planned_and_kicked():
    w = FakeWorkflow()
    a, duplicate = await submit_assessment(w, command(stopping=StoppingIn(budget=12)))
    assert not duplicate and a.state == State.RUNNING and a.essay_count == 6
    assert (a.budget, a.max_in_flight) == (12, 3)  # one pair per two texts by default
    assert a.comparisons_in_flight == a.comparisons_created == 3 == len(w.rows(a.id, "PENDING"))
    assert w.kicked == [a.id] and w.t.assessments[a.id] == a
    assert (a.created_at, a.progress_at) == (w.clock.now(), w.clock.now())


async def test_a_retried_request_returns_the_same_assessment_and_writes_nothing_more():
    w = FakeWorkflow()
    first, _ = await submit_assessment(w, command())
    commits = w.store.commits
    again, duplicate = await submit_assessment(w, command())
    assert duplicate and again == w.t.assessments[first.id] and w.store.commits == commits


async def test_a_request_id_reused_for_another_body_is_a_conflict():
    w = FakeWorkflow()
    await submit_assessment(w, command())
    with pytest.raises(ServiceError) as err:
        await submit_assessment(w, command(fingerprint="other"))
    assert err.value.reason == "REQUEST_ID_CONFLICT"


async def test_a_single_essay_completes_at_once_as_insufficient_with_its_events():
    w = FakeWorkflow()
    a, _ = await submit_assessment(w, command(1))
    assert (a.state, a.completion_reason) == (State.COMPLETED, "INSUFFICIENT_ESSAYS")
    assert w.t.comparisons == {} and a.id in w.t.results
    assert [k for _, k in w.t.events] == ["completed", "result", "consumption"]
    assert w.cancels == [(a.id, "assessment completed (INSUFFICIENT_ESSAYS)")]


async def test_an_unknown_judge_is_refused_before_anything_is_stored():
    w = FakeWorkflow()
    judge = JudgeSettings(provider="simulated", model="no-such-model")
    with pytest.raises(ServiceError) as err:
        await submit_assessment(w, command(judge=judge))
    assert err.value.reason == "UNKNOWN_MODEL" and w.store.commits == 0


async def test_a_submission_without_a_judge_gets_the_default_one():
    w = FakeWorkflow()
    a, _ = await submit_assessment(w, command(judge=JudgeSettings()))
    assert a.judge == "simulated/sim-judge"


T1, T2, GONE = "1" * 64, "2" * 64, "9" * 64  # content ids are sha256 hex


async def test_essays_given_by_content_id_are_fetched_and_a_missing_one_is_named():
    w = FakeWorkflow(texts={T1: "First essay.", T2: "Second essay."})
    essays = (EssayIn("a", content_id=T1), EssayIn("b", content_id=T2))
    a, _ = await submit_assessment(w, SubmitCommand("r1", "f1", essays, JUDGE))
    assert [e.text for e in w.t.essays[a.id]] == ["First essay.", "Second essay."]
    missing = (EssayIn("a", content_id=T1), EssayIn("c", content_id=GONE))
    with pytest.raises(ServiceError) as err:
        await submit_assessment(w, SubmitCommand("r2", "f2", missing, JUDGE))
    assert err.value.reason == "CONTEXT_MISSING" and "c" in err.value.message


async def test_a_pair_too_large_for_the_bus_is_refused_at_intake():
    w = FakeWorkflow(max_payload=1_000)
    with pytest.raises(ServiceError) as err:
        await submit_assessment(w, command(4))
    assert err.value.reason == "CONTENT_TOO_LARGE" and w.t.assessments == {}
