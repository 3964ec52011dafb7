"""UploadStudentPrompt / GetStudentPrompt and UploadJudgeRubric / GetJudgeRubric: the text
is stored in the content service and referenced by content id on the instruction."""

from __future__ import annotations

import grpc
import pytest

from contracts import ids
from contracts.errors import reason_of
from contracts.huleedu.cj.v1 import cj_admin_pb2 as pb
from contracts.huleedu.content.v1 import content_pb2, content_service_pb2_grpc
from tests.fixtures import unique_name
from tests.integration.cj_service.admin_fixtures import *  # noqa: F403
from tests.integration.cj_service.admin_fixtures import AdminMesh

pytestmark = pytest.mark.integration
KINDS = {
    "prompt": ("UploadStudentPrompt", pb.UploadStudentPromptRequest, "GetStudentPrompt",
               pb.GetStudentPromptRequest, "student_prompt_content_id"),
    "rubric": ("UploadJudgeRubric", pb.UploadJudgeRubricRequest, "GetJudgeRubric",
               pb.GetJudgeRubricRequest, "judge_rubric_content_id"),
}


@pytest.fixture(params=sorted(KINDS))
def kind(request: pytest.FixtureRequest) -> tuple:
    return KINDS[request.param]


async def new_assignment(mesh: AdminMesh) -> str:
    assignment_id = unique_name("assignment")
    await mesh.call("UpsertAssessmentInstruction", pb.UpsertAssessmentInstructionRequest(
        request_id=unique_name("r"), scope=pb.InstructionScope(assignment_id=assignment_id),
        grade_scale_id="swedish_8_anchor"))
    return assignment_id


async def upload(mesh: AdminMesh, kind: tuple, assignment_id: str, text: str,
                 request_id: str = "") -> object:
    method, request_type = kind[0], kind[1]
    return await mesh.call(method, request_type(
        request_id=request_id or unique_name("r"), assignment_id=assignment_id, text=text))


async def test_an_uploaded_text_is_stored_in_the_content_service_and_read_back(
    admin_mesh: AdminMesh, kind: tuple,
) -> None:
    assignment_id = await new_assignment(admin_mesh)
    text = f"Write about a place you know well. ({assignment_id})"
    uploaded = await upload(admin_mesh, kind, assignment_id, text)
    assert uploaded.content_id == ids.content_id_for(text.encode())
    async with grpc.aio.insecure_channel(admin_mesh.content_address) as channel:
        stored = await content_service_pb2_grpc.ContentServiceStub(channel).GetContent(
            content_pb2.GetContentRequest(content_id=uploaded.content_id))
    assert stored.item.content.decode() == text
    got = await admin_mesh.call(kind[2], kind[3](assignment_id=assignment_id))
    assert (got.content_id, got.text) == (uploaded.content_id, text)
    instruction = await admin_mesh.call("GetAssessmentInstruction",
                                        pb.GetAssessmentInstructionRequest(
                                            scope=pb.InstructionScope(
                                                assignment_id=assignment_id)))
    assert getattr(instruction.instruction, kind[4]) == uploaded.content_id


async def test_a_new_upload_replaces_the_reference(admin_mesh: AdminMesh, kind: tuple) -> None:
    assignment_id = await new_assignment(admin_mesh)
    await upload(admin_mesh, kind, assignment_id, "first version")
    second = await upload(admin_mesh, kind, assignment_id, "second version")
    got = await admin_mesh.call(kind[2], kind[3](assignment_id=assignment_id))
    assert (got.content_id, got.text) == (second.content_id, "second version")


async def test_a_duplicate_upload_gets_the_original_answer(
    admin_mesh: AdminMesh, kind: tuple,
) -> None:
    assignment_id = await new_assignment(admin_mesh)
    first = await upload(admin_mesh, kind, assignment_id, "same text", request_id="dup-1" +
                         assignment_id)
    again = await upload(admin_mesh, kind, assignment_id, "same text", request_id="dup-1" +
                         assignment_id)
    assert again == first


async def test_uploading_for_an_assignment_without_instruction_is_not_found(
    admin_mesh: AdminMesh, kind: tuple,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await upload(admin_mesh, kind, unique_name("nobody"), "text")
    assert (caught.value.code(), reason_of(caught.value)) == (grpc.StatusCode.NOT_FOUND,
                                                              "INSTRUCTION_NOT_FOUND")


async def test_an_empty_text_is_content_empty(admin_mesh: AdminMesh, kind: tuple) -> None:
    assignment_id = await new_assignment(admin_mesh)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await upload(admin_mesh, kind, assignment_id, "   ")
    assert (caught.value.code(), reason_of(caught.value)) == (grpc.StatusCode.INVALID_ARGUMENT,
                                                              "CONTENT_EMPTY")


async def test_reading_a_text_never_uploaded_is_not_found_context_missing(
    admin_mesh: AdminMesh, kind: tuple,
) -> None:
    assignment_id = await new_assignment(admin_mesh)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin_mesh.call(kind[2], kind[3](assignment_id=assignment_id))
    assert (caught.value.code(), reason_of(caught.value)) == (grpc.StatusCode.NOT_FOUND,
                                                              "CONTEXT_MISSING")


async def test_reading_for_an_unknown_assignment_is_instruction_not_found(
    admin_mesh: AdminMesh, kind: tuple,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin_mesh.call(kind[2], kind[3](assignment_id=unique_name("nobody")))
    assert reason_of(caught.value) == "INSTRUCTION_NOT_FOUND"
