"""SubmitAssessment with an assignment: instructions, prompt, rubric and anchors are pulled in.

The assignment is registered through the real CJAdminService of the same server (dev token).
"""

from __future__ import annotations

import grpc
import pytest

from cj_service.auth import make_dev_token
from contracts.errors import reason_of
from contracts.huleedu.cj.v1 import cj_admin_pb2, cj_pb2, cj_service_pb2_grpc
from tests.fixtures import unique_name
from tests.integration.cj_service.cj_fixtures import *  # noqa: F403
from tests.integration.cj_service.cj_harness import text_essay

pytestmark = pytest.mark.integration
ANCHOR = "This anchor essay develops its argument in full paragraphs with evidence. "


async def register(
    cj,
    assignment_id: str,
    *,
    origin=cj_admin_pb2.CONTEXT_ORIGIN_TEACHER_CUSTOM,
    anchors=(("E", 3), ("B", 7)),
) -> None:
    admin = cj_service_pb2_grpc.CJAdminServiceStub(cj.channel)
    auth = (("authorization", f"Bearer {make_dev_token({})}"),)
    await admin.UpsertAssessmentInstruction(
        cj_admin_pb2.UpsertAssessmentInstructionRequest(
            request_id=unique_name("i"),
            scope=cj_admin_pb2.InstructionScope(assignment_id=assignment_id),
            instructions_text="Judge the argument.",
            grade_scale_id="swedish_8_anchor",
            context_origin=origin,
        ),
        metadata=auth,
    )
    await admin.UploadStudentPrompt(
        cj_admin_pb2.UploadStudentPromptRequest(
            request_id=unique_name("p"),
            assignment_id=assignment_id,
            text="Argue for or against school uniforms.",
        ),
        metadata=auth,
    )
    await admin.UploadJudgeRubric(
        cj_admin_pb2.UploadJudgeRubricRequest(
            request_id=unique_name("r"),
            assignment_id=assignment_id,
            text="Reward clear claims backed by evidence.",
        ),
        metadata=auth,
    )
    for grade, length in anchors:
        await admin.RegisterAnchor(
            cj_admin_pb2.RegisterAnchorRequest(
                request_id=unique_name("a"),
                assignment_id=assignment_id,
                label=f"anchor-{grade}",
                grade=grade,
                text=ANCHOR * length,
            ),
            metadata=auth,
        )


async def test_an_assignment_brings_its_context_and_anchors_into_the_batch(cj_content):
    cj = cj_content
    assignment = unique_name("asg")
    await register(cj, assignment)
    # a window of six is both chains' whole opening matching, so every text, anchors
    # included, is in a first-wave pair (the default window, one pair per two texts, is 3)
    window = cj_pb2.StoppingOptions(max_in_flight=6)
    a = (await cj.submit(4, assignment_id=assignment, stopping=window)).assessment
    assert (a.essay_count, a.anchor_count) == (4, 2)
    assert a.assignment_id == assignment and a.grade_scale_id == "swedish_8_anchor"
    requests = await cj.wait_requests(a.assessment_id, 1)
    blocks = {b.label: b.text for b in requests[0].prompt.context_blocks}
    assert "Judge the argument." in blocks["assessment_instructions"]
    assert "school uniforms" in blocks["student_prompt"]
    assert "clear claims" in blocks["judge_rubric"]
    records = await cj.stub.ListAssessmentComparisons(
        cj_pb2.ListAssessmentComparisonsRequest(assessment_id=a.assessment_id)
    )
    shown = {c.essay_a_id for c in records.comparisons} | {
        c.essay_b_id for c in records.comparisons
    }
    assert any(essay_id.startswith("anchor-") for essay_id in shown)


async def test_a_canonical_assignment_refuses_a_rubric_override(cj_content):
    cj = cj_content
    assignment = unique_name("asg")
    await register(cj, assignment, origin=cj_admin_pb2.CONTEXT_ORIGIN_CANONICAL_NATIONAL)
    rubric = await cj.put_text("my own rubric")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cj.submit(3, assignment_id=assignment, judge_rubric_override_content_id=rubric)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(err.value) == "RUBRIC_LOCKED"


async def test_an_assignment_without_instructions_is_a_missing_context(cj_content):
    cj = cj_content
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cj.submit([text_essay("a", "x"), text_essay("b", "y")], assignment_id="nope")
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(err.value) == "CONTEXT_MISSING"


async def test_request_overrides_win_over_the_assignment(cj_content):
    cj = cj_content
    assignment = unique_name("asg")
    await register(cj, assignment)
    prompt = await cj.put_text("Describe your favourite place.")
    a = (
        await cj.submit(
            3,
            assignment_id=assignment,
            instructions_text="Only judge style.",
            student_prompt_content_id=prompt,
        )
    ).assessment
    requests = await cj.wait_requests(a.assessment_id, 1)
    blocks = {b.label: b.text for b in requests[0].prompt.context_blocks}
    assert "Only judge style." in blocks["assessment_instructions"]
    assert "favourite place" in blocks["student_prompt"]
    assert "clear claims" in blocks["judge_rubric"]
