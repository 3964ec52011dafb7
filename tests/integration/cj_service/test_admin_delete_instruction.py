"""DeleteAssessmentInstruction removes a scope's instruction; deleting it again is NOT_FOUND."""

from __future__ import annotations

import grpc
import pytest

from contracts.errors import reason_of
from contracts.huleedu.cj.v1 import cj_admin_pb2 as pb
from tests.fixtures import unique_name
from tests.integration.cj_service.admin_fixtures import *  # noqa: F403
from tests.integration.cj_service.admin_fixtures import AdminMesh

pytestmark = pytest.mark.integration


async def test_deleting_an_instruction_removes_it_and_a_repeat_is_not_found(
    admin_mesh: AdminMesh,
) -> None:
    scope = pb.InstructionScope(assignment_id=unique_name("assignment"))
    await admin_mesh.call("UpsertAssessmentInstruction", pb.UpsertAssessmentInstructionRequest(
        request_id=unique_name("r"), scope=scope, grade_scale_id="swedish_8_anchor"))
    delete = pb.DeleteAssessmentInstructionRequest(scope=scope)
    assert (await admin_mesh.call("DeleteAssessmentInstruction", delete)).deleted
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin_mesh.call("DeleteAssessmentInstruction", delete)
    assert reason_of(caught.value) == "INSTRUCTION_NOT_FOUND"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin_mesh.call("GetAssessmentInstruction",
                              pb.GetAssessmentInstructionRequest(scope=scope))
    assert reason_of(caught.value) == "INSTRUCTION_NOT_FOUND"


async def test_a_deleted_instruction_can_be_recreated_with_another_scale(
    admin_mesh: AdminMesh,
) -> None:
    scope = pb.InstructionScope(assignment_id=unique_name("assignment"))
    for scale in ("swedish_8_anchor", "eng5_np_national_9_step"):
        response = await admin_mesh.call("UpsertAssessmentInstruction",
                                         pb.UpsertAssessmentInstructionRequest(
                                             request_id=unique_name("r"), scope=scope,
                                             grade_scale_id=scale))
        assert response.created
        await admin_mesh.call("DeleteAssessmentInstruction",
                              pb.DeleteAssessmentInstructionRequest(scope=scope))


async def test_deleting_without_a_scope_is_invalid_argument(admin_mesh: AdminMesh) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin_mesh.call("DeleteAssessmentInstruction",
                              pb.DeleteAssessmentInstructionRequest())
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
