"""GetAssessmentInstruction reads one scope's instruction."""

from __future__ import annotations

import grpc
import pytest

from contracts.errors import reason_of
from contracts.huleedu.cj.v1 import cj_admin_pb2 as pb
from tests.fixtures import unique_name
from tests.integration.cj_service.admin_fixtures import *  # noqa: F403
from tests.integration.cj_service.admin_fixtures import AdminMesh

pytestmark = pytest.mark.integration


async def test_a_stored_instruction_is_returned(admin_mesh: AdminMesh) -> None:
    scope = pb.InstructionScope(course_id=unique_name("course"))
    stored = await admin_mesh.call("UpsertAssessmentInstruction",
                                   pb.UpsertAssessmentInstructionRequest(
                                       request_id=unique_name("r"), scope=scope,
                                       instructions_text="Prefer clear structure."))
    got = await admin_mesh.call("GetAssessmentInstruction",
                                pb.GetAssessmentInstructionRequest(scope=scope))
    assert got.instruction == stored.instruction


async def test_an_unknown_scope_is_instruction_not_found(admin_mesh: AdminMesh) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin_mesh.call("GetAssessmentInstruction", pb.GetAssessmentInstructionRequest(
            scope=pb.InstructionScope(assignment_id=unique_name("nobody"))))
    assert (caught.value.code(), reason_of(caught.value)) == (grpc.StatusCode.NOT_FOUND,
                                                              "INSTRUCTION_NOT_FOUND")


async def test_an_empty_scope_is_invalid_argument(admin_mesh: AdminMesh) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin_mesh.call("GetAssessmentInstruction", pb.GetAssessmentInstructionRequest())
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
