"""SubmitAssessment: stores the batch, resolves texts, renders prompts, sends the first wave."""

from __future__ import annotations

import grpc
import pytest

from contracts.errors import reason_of
from contracts.huleedu.cj.v1 import cj_pb2
from tests.fixtures import unique_name
from tests.integration.cj_service.cj_fixtures import *  # noqa: F403
from tests.integration.cj_service.cj_harness import JUDGE, text_essay

pytestmark = pytest.mark.integration


async def test_a_submission_is_stored_running_and_its_first_wave_reaches_llm_provider(cj):
    response = await cj.submit(
        6,
        stopping=cj_pb2.StoppingOptions(budget=10, max_in_flight=4),
        correlation_id="corr-1",
        metadata={"course": "x"},
    )
    a = response.assessment
    assert not response.duplicate
    assert a.state == cj_pb2.ASSESSMENT_STATE_RUNNING
    assert (a.essay_count, a.anchor_count, a.progress.budget) == (6, 0, 10)
    assert a.correlation_id == "corr-1" and a.metadata["course"] == "x"
    requests = await cj.wait_requests(a.assessment_id, 4)
    assert len(requests) == 4
    for r in requests:
        assert r.results_subject_key == "cj"
        assert r.metadata["comparison_id"] == r.request_id
        assert r.judge.provider == "simulated" and r.correlation_id == "corr-1"
        assert r.prompt.essay_a_text.startswith("Essay number")
    current = await cj.get(a.assessment_id)
    assert current.progress.comparisons_in_flight == 4


async def test_by_default_a_small_batch_keeps_one_pair_per_two_texts_in_flight(cj):
    a = (await cj.submit(8, stopping=cj_pb2.StoppingOptions(budget=40))).assessment
    requests = await cj.wait_requests(a.assessment_id, 4)
    assert len(requests) == 4  # a window of 4: the opening's other 4 pairs wait for verdicts
    assert (await cj.get(a.assessment_id)).progress.comparisons_in_flight == 4


async def test_the_prompt_shows_texts_and_context_but_never_essay_ids_or_names(cj_content):
    cj = cj_content
    prompt_id = await cj.put_text("Write about a journey that changed you.")
    essays = [
        text_essay(
            f"secret-id-{i}", f"My journey number {i}. " * 5, display_name=f"student-{i}.docx"
        )
        for i in range(3)
    ]
    response = await cj.submit(
        essays,
        instructions_text="Judge the narrative quality.",
        student_prompt_content_id=prompt_id,
    )
    requests = await cj.wait_requests(response.assessment.assessment_id, 1)
    prompt = requests[0].prompt
    blocks = {b.label: b for b in prompt.context_blocks}
    assert set(blocks) == {"assessment_instructions", "student_prompt"}
    assert all(b.cacheable for b in blocks.values())
    assert "journey that changed you" in blocks["student_prompt"].text
    flat = str(prompt)
    assert "secret-id" not in flat and "student-" not in flat


async def test_essays_given_by_content_id_are_fetched_from_the_content_service(cj_content):
    cj = cj_content
    ids = [await cj.put_text(f"Stored essay {i} {unique_name()}") for i in range(2)]
    essays = [cj_pb2.EssayInput(essay_id=f"c{i}", content_id=cid) for i, cid in enumerate(ids)]
    response = await cj.submit(essays)
    requests = await cj.wait_requests(response.assessment.assessment_id, 1)
    texts = {requests[0].prompt.essay_a_text, requests[0].prompt.essay_b_text}
    assert all(t.startswith("Stored essay") for t in texts)


async def test_a_retry_with_the_same_request_id_returns_the_original_batch(cj):
    first = await cj.submit(3, request_id="same-request")
    again = await cj.submit(3, request_id="same-request")
    assert again.duplicate
    assert again.assessment.assessment_id == first.assessment.assessment_id
    listed = await cj.stub.ListAssessments(cj_pb2.ListAssessmentsRequest())
    assert len(listed.assessments) == 1


async def test_reusing_a_request_id_for_a_different_submission_is_refused(cj):
    await cj.submit(3, request_id="reused")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cj.submit(4, request_id="reused")
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert reason_of(err.value) == "REQUEST_ID_CONFLICT"


async def test_a_one_essay_batch_completes_at_once_with_insufficient_essays(cj):
    response = await cj.submit(1)
    a = response.assessment
    assert a.state == cj_pb2.ASSESSMENT_STATE_COMPLETED
    assert a.completion_reason == cj_pb2.COMPLETION_REASON_INSUFFICIENT_ESSAYS
    results = await cj.stub.GetAssessmentResults(
        cj_pb2.GetAssessmentResultsRequest(assessment_id=a.assessment_id)
    )
    assert [e.rank for e in results.essays] == [1]
    assert not results.calibration.available
    assert "insufficient" in results.calibration.reason
    assert cj.requests_of(a.assessment_id) == []


TWO = [text_essay("a", "x"), text_essay("b", "y")]
INVALID = {  # case: (essays, request fields, code, reason)
    "duplicate ids": (
        [text_essay("a", "x"), text_essay("a", "y")],
        {},
        "INVALID_ARGUMENT",
        "DUPLICATE_ESSAY_ID",
    ),
    "negative budget": (
        TWO,
        {"stopping": cj_pb2.StoppingOptions(budget=-1)},
        "INVALID_ARGUMENT",
        "INVALID_ARGUMENT",
    ),
    "no request id": (TWO, {"request_id": ""}, "INVALID_ARGUMENT", "INVALID_ARGUMENT"),
    "empty text": (
        [text_essay("a", "x"), text_essay("b", "   ")],
        {},
        "INVALID_ARGUMENT",
        "CONTENT_EMPTY",
    ),
    "bad content id": (
        [text_essay("a", "x"), cj_pb2.EssayInput(essay_id="b", content_id="x")],
        {},
        "INVALID_ARGUMENT",
        "INVALID_CONTENT_ID",
    ),
    "missing content": (
        [text_essay("a", "x"), cj_pb2.EssayInput(essay_id="b", content_id="0" * 64)],
        {},
        "FAILED_PRECONDITION",
        "CONTEXT_MISSING",
    ),
    "missing prompt": (
        TWO,
        {"student_prompt_content_id": "1" * 64},
        "FAILED_PRECONDITION",
        "CONTEXT_MISSING",
    ),
    "anchor without scale": (
        [text_essay("a", "x"), text_essay("b", "y", anchor_grade="C")],
        {},
        "INVALID_ARGUMENT",
        "UNKNOWN_GRADE_SCALE",
    ),
    "grade off the scale": (
        [text_essay("a", "x"), text_essay("b", "y", anchor_grade="Z")],
        {"grade_scale_id": "swedish_8_anchor"},
        "INVALID_ARGUMENT",
        "INVALID_GRADE",
    ),
    "unknown scale": (TWO, {"grade_scale_id": "nope"}, "INVALID_ARGUMENT", "UNKNOWN_GRADE_SCALE"),
}


async def test_invalid_submissions_are_refused_with_a_reason_and_store_nothing(cj_content):
    cj = cj_content
    for case, (essays, kwargs, code, reason) in INVALID.items():
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await cj.submit(essays, **kwargs)
        assert err.value.code() == getattr(grpc.StatusCode, code), case
        assert reason_of(err.value) == reason, case
    listed = await cj.stub.ListAssessments(cj_pb2.ListAssessmentsRequest())
    assert list(listed.assessments) == []


async def test_an_unknown_judge_model_is_refused(cj):
    from contracts.huleedu.common.v1 import common_pb2

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cj.submit(3, judge=common_pb2.JudgeConfig(provider="simulated", model="nope"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason_of(err.value) == "UNKNOWN_MODEL"
    assert JUDGE.model == "sim-judge"


async def test_the_missing_content_ids_are_named(cj_content):
    cj = cj_content
    missing = "2" * 64
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cj.submit([text_essay("a", "x"), cj_pb2.EssayInput(essay_id="b", content_id=missing)])
    assert missing in err.value.details() and "b" in err.value.details()


async def test_an_unreachable_content_service_is_a_dependency_failure(cj):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cj.submit(
            [text_essay("a", "x"), cj_pb2.EssayInput(essay_id="b", content_id="3" * 64)]
        )
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    assert reason_of(err.value) == "DEPENDENCY_UNAVAILABLE"
