"""One meaning, one code on the admin side (issue 20, Minor): a reused request_id is
ALREADY_EXISTS, deleting an unknown anchor or instruction is NOT_FOUND, a bad bearer token is
INVALID_TOKEN in plain words, and an assignment's grade scale cannot change under its anchors
by deleting and re-creating its instruction."""

from __future__ import annotations

import base64

import grpc
import jwt
import pytest

from contracts.errors import reason_of
from contracts.huleedu.cj.v1 import cj_admin_pb2 as pb
from tests.fixtures import unique_name
from tests.integration.cj_service.admin_anchor_helpers import assignment_on, register
from tests.integration.cj_service.admin_fixtures import *  # noqa: F403
from tests.integration.cj_service.admin_fixtures import TEST_AUTH, AdminMesh

pytestmark = pytest.mark.integration
SWEDISH, ENG5 = "swedish_8_anchor", "eng5_np_national_9_step"


async def refused(mesh: AdminMesh, method: str, request, **kwargs) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await mesh.call(method, request, **kwargs)
    return caught.value


def code(err: grpc.aio.AioRpcError) -> tuple[str, str]:
    return err.code().name, reason_of(err)


async def test_deleting_an_unknown_anchor_is_not_found(admin_mesh: AdminMesh) -> None:
    err = await refused(admin_mesh, "DeleteAnchor", pb.DeleteAnchorRequest(anchor_id="nope"))
    assert code(err) == ("NOT_FOUND", "ANCHOR_NOT_FOUND")


async def test_deleting_an_unknown_instruction_is_not_found(admin_mesh: AdminMesh) -> None:
    request = pb.DeleteAssessmentInstructionRequest(
        scope=pb.InstructionScope(assignment_id=unique_name("never")))
    err = await refused(admin_mesh, "DeleteAssessmentInstruction", request)
    assert code(err) == ("NOT_FOUND", "INSTRUCTION_NOT_FOUND")


async def recreate(mesh: AdminMesh, assignment_id: str, scale: str):
    return await mesh.call("UpsertAssessmentInstruction", pb.UpsertAssessmentInstructionRequest(
        request_id=unique_name("r"), scope=pb.InstructionScope(assignment_id=assignment_id),
        grade_scale_id=scale))


async def delete(mesh: AdminMesh, assignment_id: str) -> None:
    await mesh.call("DeleteAssessmentInstruction", pb.DeleteAssessmentInstructionRequest(
        scope=pb.InstructionScope(assignment_id=assignment_id)))


async def test_an_instruction_recreated_on_another_scale_is_refused_while_anchors_remain(
    admin_mesh: AdminMesh,
) -> None:
    assignment_id = await assignment_on(admin_mesh, SWEDISH)
    anchor = (await register(admin_mesh, assignment_id, "kept", "C")).anchor
    await delete(admin_mesh, assignment_id)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await recreate(admin_mesh, assignment_id, ENG5)
    assert code(caught.value) == ("FAILED_PRECONDITION", "IMMUTABLE_FIELD")
    assert SWEDISH in caught.value.details()
    again = await recreate(admin_mesh, assignment_id, SWEDISH)  # the anchors' scale: fine
    assert again.instruction.grade_scale_id == SWEDISH
    listed = await admin_mesh.call("ListAnchors", pb.ListAnchorsRequest(
        assignment_id=assignment_id))
    assert [a.anchor_id for a in listed.anchors] == [anchor.anchor_id]
    assert dict((c.grade, c.count) for c in listed.counts_by_grade)["C"] == 1


async def test_setting_a_scale_later_is_refused_when_anchors_sit_on_another(
    admin_mesh: AdminMesh,
) -> None:
    assignment_id = await assignment_on(admin_mesh, SWEDISH)
    await register(admin_mesh, assignment_id, "kept", "C")
    await delete(admin_mesh, assignment_id)
    await recreate(admin_mesh, assignment_id, "")  # no scale: nothing to contradict yet
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await recreate(admin_mesh, assignment_id, ENG5)
    assert code(caught.value) == ("FAILED_PRECONDITION", "IMMUTABLE_FIELD")


async def test_once_its_anchors_are_deleted_an_assignment_may_take_another_scale(
    admin_mesh: AdminMesh,
) -> None:
    assignment_id = await assignment_on(admin_mesh, SWEDISH)
    anchor = (await register(admin_mesh, assignment_id, "gone", "C")).anchor
    await admin_mesh.call("DeleteAnchor", pb.DeleteAnchorRequest(anchor_id=anchor.anchor_id))
    await delete(admin_mesh, assignment_id)
    assert (await recreate(admin_mesh, assignment_id, ENG5)).instruction.grade_scale_id == ENG5


async def test_a_request_id_reused_for_another_admin_request_is_already_exists(
    admin_mesh: AdminMesh,
) -> None:
    assignment_id = await assignment_on(admin_mesh)
    reused = unique_name("r")
    await register(admin_mesh, assignment_id, "first", "C", request_id=reused)
    err = await refused(admin_mesh, "UploadStudentPrompt", pb.UploadStudentPromptRequest(
        request_id=reused, assignment_id=assignment_id, text="Write about a journey."))
    assert code(err) == ("ALREADY_EXISTS", "REQUEST_ID_CONFLICT")


def segment(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# Signed with the service's own key, so only the payload's bytes are wrong.
SIGNED_NOT_UTF8 = jwt.api_jws.encode(bytes([0xc3, 0x28]), TEST_AUTH.key, algorithm="HS256")


@pytest.mark.parametrize("token", [
    "not-a-jwt",
    f"{segment(bytes([0x9e, 0xff, 0x00]))}.{segment(b'{}')}.sig",  # header not UTF-8
    SIGNED_NOT_UTF8,
    "a.b.c",
])
async def test_a_bad_bearer_token_is_invalid_token_in_plain_words(
    admin_mesh: AdminMesh, token: str,
) -> None:
    err = await refused(admin_mesh, "ListGradeScales", pb.ListGradeScalesRequest(), token=token)
    assert code(err) == ("UNAUTHENTICATED", "INVALID_TOKEN")
    assert err.details() == "the bearer token is not a well-formed JWT"


async def test_a_token_signed_with_another_key_says_so_plainly(admin_mesh: AdminMesh) -> None:
    forged = admin_mesh.token(signing_key="another-secret-of-at-least-32-bytes!!")
    err = await refused(admin_mesh, "ListGradeScales", pb.ListGradeScalesRequest(), token=forged)
    assert code(err) == ("UNAUTHENTICATED", "INVALID_TOKEN")
    assert err.details() == "the bearer token's signature does not verify"
