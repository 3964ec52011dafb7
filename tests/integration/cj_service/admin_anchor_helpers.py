"""Small helpers shared by the anchor RPC tests."""

from __future__ import annotations

from contracts.huleedu.cj.v1 import cj_admin_pb2 as pb
from tests.fixtures import unique_name
from tests.integration.cj_service.admin_fixtures import AdminMesh, essay_text


async def assignment_on(mesh: AdminMesh, scale: str = "swedish_8_anchor", **fields) -> str:
    assignment_id = unique_name("assignment")
    await mesh.call("UpsertAssessmentInstruction", pb.UpsertAssessmentInstructionRequest(
        request_id=unique_name("r"), scope=pb.InstructionScope(assignment_id=assignment_id),
        grade_scale_id=scale, **fields))
    return assignment_id


async def register(mesh: AdminMesh, assignment_id: str, label: str, grade: str,
                   **fields) -> pb.RegisterAnchorResponse:
    fields.setdefault("request_id", unique_name("r"))
    if "content_id" not in fields:
        fields.setdefault("text", essay_text() + f" [{label}/{grade}]")
    return await mesh.call("RegisterAnchor", pb.RegisterAnchorRequest(
        assignment_id=assignment_id, label=label, grade=grade, **fields))
