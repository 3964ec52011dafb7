"""UpsertAssessmentInstruction: scope is exactly one of assignment or course; grade scale and
context origin are immutable once set; a duplicate request_id gets the original answer."""

from __future__ import annotations

import grpc
import pytest

from contracts.errors import reason_of
from contracts.huleedu.cj.v1 import cj_admin_pb2 as pb
from tests.fixtures import unique_name
from tests.integration.cj_service.admin_fixtures import *  # noqa: F403
from tests.integration.cj_service.admin_fixtures import AdminMesh

pytestmark = pytest.mark.integration
NATIONAL = pb.CONTEXT_ORIGIN_CANONICAL_NATIONAL


def upsert(scope: pb.InstructionScope, **fields) -> pb.UpsertAssessmentInstructionRequest:
    fields.setdefault("request_id", unique_name("req"))
    return pb.UpsertAssessmentInstructionRequest(scope=scope, **fields)


def assignment() -> pb.InstructionScope:
    return pb.InstructionScope(assignment_id=unique_name("assignment"))


async def failure(mesh: AdminMesh, request) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await mesh.call("UpsertAssessmentInstruction", request)
    return caught.value


async def test_upserting_a_new_assignment_creates_its_instruction(admin_mesh: AdminMesh) -> None:
    scope = assignment()
    response = await admin_mesh.call("UpsertAssessmentInstruction", upsert(
        scope, instructions_text="Judge the argument.", grade_scale_id="swedish_8_anchor",
        context_origin=NATIONAL))
    assert response.created
    stored = response.instruction
    assert stored.scope == scope
    assert (stored.instructions_text, stored.grade_scale_id, stored.context_origin) == (
        "Judge the argument.", "swedish_8_anchor", NATIONAL)
    assert stored.created_at.seconds > 0


async def test_a_course_scope_works_like_an_assignment_scope(admin_mesh: AdminMesh) -> None:
    scope = pb.InstructionScope(course_id=unique_name("course"))
    response = await admin_mesh.call("UpsertAssessmentInstruction",
                                     upsert(scope, instructions_text="Course-wide."))
    assert response.created and response.instruction.scope.course_id == scope.course_id


async def test_updating_keeps_fields_left_empty_and_changes_the_text(
    admin_mesh: AdminMesh,
) -> None:
    scope = assignment()
    await admin_mesh.call("UpsertAssessmentInstruction", upsert(
        scope, instructions_text="v1", grade_scale_id="eng5_np_national_9_step"))
    response = await admin_mesh.call("UpsertAssessmentInstruction",
                                     upsert(scope, instructions_text="v2"))
    assert not response.created
    assert response.instruction.instructions_text == "v2"
    assert response.instruction.grade_scale_id == "eng5_np_national_9_step"


async def test_a_duplicate_request_id_gets_the_original_answer(admin_mesh: AdminMesh) -> None:
    request = upsert(assignment(), instructions_text="once", grade_scale_id="swedish_8_anchor")
    first = await admin_mesh.call("UpsertAssessmentInstruction", request)
    again = await admin_mesh.call("UpsertAssessmentInstruction", request)
    assert again == first and again.created


async def test_reusing_a_request_id_for_another_request_is_refused(admin_mesh: AdminMesh) -> None:
    request = upsert(assignment(), instructions_text="once")
    await admin_mesh.call("UpsertAssessmentInstruction", request)
    request.instructions_text = "something else"
    err = await failure(admin_mesh, request)
    assert (err.code(), reason_of(err)) == (grpc.StatusCode.ALREADY_EXISTS,
                                            "REQUEST_ID_CONFLICT")


async def test_changing_the_grade_scale_is_an_immutable_field(admin_mesh: AdminMesh) -> None:
    scope = assignment()
    await admin_mesh.call("UpsertAssessmentInstruction",
                          upsert(scope, grade_scale_id="swedish_8_anchor"))
    err = await failure(admin_mesh, upsert(scope, grade_scale_id="eng5_np_legacy_9_step"))
    assert (err.code(), reason_of(err)) == (grpc.StatusCode.FAILED_PRECONDITION,
                                            "IMMUTABLE_FIELD")
    got = await admin_mesh.call("GetAssessmentInstruction",
                                pb.GetAssessmentInstructionRequest(scope=scope))
    assert got.instruction.grade_scale_id == "swedish_8_anchor"


async def test_changing_the_context_origin_is_an_immutable_field(admin_mesh: AdminMesh) -> None:
    scope = assignment()
    await admin_mesh.call("UpsertAssessmentInstruction", upsert(scope, context_origin=NATIONAL))
    err = await failure(admin_mesh, upsert(
        scope, context_origin=pb.CONTEXT_ORIGIN_TEACHER_CUSTOM))
    assert (err.code(), reason_of(err)) == (grpc.StatusCode.FAILED_PRECONDITION,
                                            "IMMUTABLE_FIELD")


async def test_setting_a_scale_that_was_never_set_is_allowed(admin_mesh: AdminMesh) -> None:
    scope = assignment()
    await admin_mesh.call("UpsertAssessmentInstruction", upsert(scope, instructions_text="t"))
    response = await admin_mesh.call("UpsertAssessmentInstruction",
                                     upsert(scope, grade_scale_id="swedish_8_anchor"))
    assert response.instruction.grade_scale_id == "swedish_8_anchor"


async def test_an_unknown_grade_scale_is_refused(admin_mesh: AdminMesh) -> None:
    err = await failure(admin_mesh, upsert(assignment(), grade_scale_id="us_letter_grades"))
    assert (err.code(), reason_of(err)) == (grpc.StatusCode.INVALID_ARGUMENT,
                                            "UNKNOWN_GRADE_SCALE")


@pytest.mark.parametrize("scope", [pb.InstructionScope(), pb.InstructionScope(assignment_id="")])
async def test_a_missing_scope_is_invalid_argument(
    admin_mesh: AdminMesh, scope: pb.InstructionScope,
) -> None:
    err = await failure(admin_mesh, upsert(scope, instructions_text="t"))
    assert (err.code(), reason_of(err)) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")


async def test_a_missing_request_id_is_invalid_argument(admin_mesh: AdminMesh) -> None:
    err = await failure(admin_mesh, upsert(assignment(), request_id="", instructions_text="t"))
    assert (err.code(), reason_of(err)) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")


async def test_an_unknown_context_origin_number_is_invalid_argument(
    admin_mesh: AdminMesh,
) -> None:
    err = await failure(admin_mesh, upsert(assignment(), context_origin=42))
    assert (err.code(), reason_of(err)) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")
