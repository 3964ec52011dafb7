"""load_assignment_context resolves an assignment's instructions, prompt, rubric and anchors
(only those on its current scale) from the real repository and content service."""

from __future__ import annotations

import grpc
import pytest

from cj_service.service.admin.assignment_context import (
    check_rubric_override,
    load_assignment_context,
)
from cj_service.service.admin.models import ContextOrigin, InstructionFields, NewAnchor, Scope
from contracts import ids
from contracts.errors import ServiceError
from contracts.huleedu.cj.v1 import cj_admin_pb2 as pb
from tests.fixtures import unique_name
from tests.integration.cj_service.admin_anchor_helpers import assignment_on, register
from tests.integration.cj_service.admin_fixtures import *  # noqa: F403
from tests.integration.cj_service.admin_fixtures import AdminMesh, essay_text

pytestmark = pytest.mark.integration
NATIONAL = pb.CONTEXT_ORIGIN_CANONICAL_NATIONAL


async def load(mesh: AdminMesh, assignment_id: str):
    return await load_assignment_context(assignment_id, source=mesh.repo,
                                         fetch_texts=mesh.content.fetch_texts)


async def upload(mesh: AdminMesh, method: str, request_type, assignment_id: str, text: str):
    return await mesh.call(method, request_type(request_id=unique_name("r"),
                                                assignment_id=assignment_id, text=text))


async def test_everything_registered_for_the_assignment_is_resolved(
    admin_mesh: AdminMesh,
) -> None:
    assignment_id = await assignment_on(admin_mesh, instructions_text="Judge the argument.",
                                        context_origin=NATIONAL)
    await upload(admin_mesh, "UploadStudentPrompt", pb.UploadStudentPromptRequest,
                 assignment_id, "Describe a journey.")
    await upload(admin_mesh, "UploadJudgeRubric", pb.UploadJudgeRubricRequest,
                 assignment_id, "Reward structure.")
    texts = {"low": essay_text(2), "high": essay_text(5)}
    await register(admin_mesh, assignment_id, "low", "E", text=texts["low"])
    await register(admin_mesh, assignment_id, "high", "A", text=texts["high"])
    ctx = await load(admin_mesh, assignment_id)
    assert (ctx.instructions_text, ctx.student_prompt_text, ctx.judge_rubric_text) == (
        "Judge the argument.", "Describe a journey.", "Reward structure.")
    assert (ctx.grade_scale_id, ctx.context_origin) == ("swedish_8_anchor",
                                                        ContextOrigin.CANONICAL_NATIONAL)
    assert [(a.label, a.grade, a.text) for a in ctx.anchors] == [
        ("high", "A", texts["high"]), ("low", "E", texts["low"])]


async def test_nothing_uploaded_is_none_not_missing(admin_mesh: AdminMesh) -> None:
    ctx = await load(admin_mesh, await assignment_on(admin_mesh))
    assert (ctx.student_prompt_text, ctx.judge_rubric_text, ctx.anchors) == (None, None, ())


async def test_only_anchors_on_the_current_scale_are_included(admin_mesh: AdminMesh) -> None:
    # Upserts no longer let an assignment's scale move away from its anchors; an anchor on
    # another scale is one stored before that rule, written here straight to the table.
    assignment_id = await assignment_on(admin_mesh, "eng5_np_national_9_step")
    await register(admin_mesh, assignment_id, "new", "4")
    async with admin_mesh.repo.transaction() as tx:
        await tx.upsert_anchor(NewAnchor(
            anchor_id=unique_name("legacy"), assignment_id=assignment_id, label="old",
            grade="C", grade_scale_id="swedish_8_anchor",
            content_id=ids.content_id_for(b"an old anchor")))
    ctx = await load(admin_mesh, assignment_id)
    assert [(a.label, a.grade) for a in ctx.anchors] == [("new", "4")]


async def test_an_unknown_assignment_is_context_missing(admin_mesh: AdminMesh) -> None:
    with pytest.raises(ServiceError) as caught:
        await load(admin_mesh, unique_name("nobody"))
    assert (caught.value.code, caught.value.reason) == (grpc.StatusCode.FAILED_PRECONDITION,
                                                        "CONTEXT_MISSING")
    assert caught.value.metadata["missing"] == "instruction"


@pytest.mark.parametrize("column,missing", [("judge_rubric_content_id", "judge_rubric"),
                                            ("student_prompt_content_id", "student_prompt")])
async def test_a_reference_the_content_service_cannot_resolve_is_context_missing(
    admin_mesh: AdminMesh, column: str, missing: str,
) -> None:
    assignment_id = await assignment_on(admin_mesh)
    dangling = ids.content_id_for(unique_name("gone").encode())
    async with admin_mesh.repo.transaction() as tx:
        await tx.update_instruction(Scope(assignment_id=assignment_id),
                                    InstructionFields(**{column: dangling}))
    with pytest.raises(ServiceError) as caught:
        await load(admin_mesh, assignment_id)
    assert caught.value.reason == "CONTEXT_MISSING"
    assert (caught.value.metadata["missing"], caught.value.metadata["content_id"]) == (
        missing, dangling)


async def test_a_canonical_national_assignment_refuses_a_rubric_override(
    admin_mesh: AdminMesh,
) -> None:
    national = await load(admin_mesh, await assignment_on(admin_mesh, context_origin=NATIONAL))
    custom = await load(admin_mesh, await assignment_on(
        admin_mesh, context_origin=pb.CONTEXT_ORIGIN_TEACHER_CUSTOM))
    check_rubric_override(national, has_override=False)
    check_rubric_override(custom, has_override=True)
    with pytest.raises(ServiceError) as caught:
        check_rubric_override(national, has_override=True)
    assert (caught.value.code, caught.value.reason) == (grpc.StatusCode.FAILED_PRECONDITION,
                                                        "RUBRIC_LOCKED")
