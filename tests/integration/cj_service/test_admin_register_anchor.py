"""RegisterAnchor: an idempotent upsert on assignment + label + scale, the grade checked
against the assignment's scale and the text (stored in the content service) long enough."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from contracts import ids
from contracts.errors import reason_of
from contracts.huleedu.cj.v1 import cj_admin_pb2 as pb
from tests.fixtures import unique_name
from tests.integration.cj_service.admin_anchor_helpers import assignment_on, register
from tests.integration.cj_service.admin_fixtures import *  # noqa: F403
from tests.integration.cj_service.admin_fixtures import AdminMesh, essay_text

pytestmark = pytest.mark.integration


async def refusal(coro) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await coro
    return caught.value.code(), reason_of(caught.value)


async def test_a_new_anchor_is_created_with_its_text_in_the_content_service(
    admin_mesh: AdminMesh,
) -> None:
    assignment_id = await assignment_on(admin_mesh)
    text = essay_text(4)
    response = await register(admin_mesh, assignment_id, "anchor-C.txt", "C", text=text)
    anchor = response.anchor
    assert response.created
    assert (anchor.assignment_id, anchor.label, anchor.grade, anchor.grade_scale_id) == (
        assignment_id, "anchor-C.txt", "C", "swedish_8_anchor")
    assert anchor.content_id == ids.content_id_for(text.encode())
    assert await admin_mesh.content.fetch_texts([anchor.content_id]) == {anchor.content_id: text}


async def test_registering_the_same_label_again_updates_it_in_place(
    admin_mesh: AdminMesh,
) -> None:
    assignment_id = await assignment_on(admin_mesh)
    first = await register(admin_mesh, assignment_id, "a1", "C")
    second = await register(admin_mesh, assignment_id, "a1", "B")
    unchanged = await register(admin_mesh, assignment_id, "a1", "B")
    assert not second.created and not unchanged.created
    assert second.anchor.anchor_id == first.anchor.anchor_id
    assert second.anchor.grade == "B"
    listed = await admin_mesh.call("ListAnchors",
                                   pb.ListAnchorsRequest(assignment_id=assignment_id))
    assert [(a.label, a.grade) for a in listed.anchors] == [("a1", "B")]


async def test_a_duplicate_request_id_gets_the_original_answer(admin_mesh: AdminMesh) -> None:
    assignment_id = await assignment_on(admin_mesh)
    text = essay_text()
    first = await register(admin_mesh, assignment_id, "a1", "E", request_id="dup-" +
                           assignment_id, text=text)
    again = await register(admin_mesh, assignment_id, "a1", "E", request_id="dup-" +
                           assignment_id, text=text)
    assert again == first and again.created


async def test_an_already_stored_text_can_be_referenced_by_content_id(
    admin_mesh: AdminMesh,
) -> None:
    assignment_id = await assignment_on(admin_mesh, "eng5_np_national_9_step")
    content_id = await admin_mesh.content.put_text(essay_text(), request_id=unique_name("p"))
    response = await register(admin_mesh, assignment_id, "n7", "7", content_id=content_id)
    assert (response.anchor.content_id, response.anchor.grade) == (content_id, "7")


async def test_a_grade_off_the_assignments_scale_is_invalid_grade(
    admin_mesh: AdminMesh,
) -> None:
    assignment_id = await assignment_on(admin_mesh, "eng5_np_national_9_step")
    assert await refusal(register(admin_mesh, assignment_id, "x", "C")) == (
        grpc.StatusCode.INVALID_ARGUMENT, "INVALID_GRADE")


async def test_the_scales_below_lowest_grade_is_a_valid_anchor_grade(
    admin_mesh: AdminMesh,
) -> None:
    assignment_id = await assignment_on(admin_mesh, "eng5_np_legacy_9_step")
    assert (await register(admin_mesh, assignment_id, "weak", "F")).anchor.grade == "F"


async def test_a_short_text_is_anchor_too_short(admin_mesh: AdminMesh) -> None:
    assignment_id = await assignment_on(admin_mesh)
    assert await refusal(register(admin_mesh, assignment_id, "x", "C", text="Too short.")) == (
        grpc.StatusCode.INVALID_ARGUMENT, "ANCHOR_TOO_SHORT")


async def test_an_unknown_content_id_is_content_not_found(admin_mesh: AdminMesh) -> None:
    assignment_id = await assignment_on(admin_mesh)
    missing = ids.content_id_for(unique_name("never stored").encode())
    assert await refusal(register(admin_mesh, assignment_id, "x", "C", content_id=missing)) == (
        grpc.StatusCode.NOT_FOUND, "CONTENT_NOT_FOUND")


async def test_an_assignment_without_instruction_is_instruction_not_found(
    admin_mesh: AdminMesh,
) -> None:
    assert await refusal(register(admin_mesh, unique_name("nobody"), "x", "C")) == (
        grpc.StatusCode.NOT_FOUND, "INSTRUCTION_NOT_FOUND")


async def test_an_assignment_without_a_grade_scale_is_a_failed_precondition(
    admin_mesh: AdminMesh,
) -> None:
    assignment_id = await assignment_on(admin_mesh, scale="", instructions_text="no scale")
    assert await refusal(register(admin_mesh, assignment_id, "x", "C")) == (
        grpc.StatusCode.FAILED_PRECONDITION, "UNKNOWN_GRADE_SCALE")


@pytest.mark.parametrize("fields", [{"label": ""}, {"text": ""}, {"request_id": ""}])
async def test_a_missing_label_text_or_request_id_is_invalid_argument(
    admin_mesh: AdminMesh, fields: dict,
) -> None:
    assignment_id = await assignment_on(admin_mesh)
    request = pb.RegisterAnchorRequest(request_id="r-" + assignment_id,
                                       assignment_id=assignment_id, label="x", grade="C",
                                       text=essay_text())
    for name, value in fields.items():
        setattr(request, name, value)
    assert await refusal(admin_mesh.call("RegisterAnchor", request)) == (
        grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")


async def test_concurrent_retries_of_one_request_all_get_the_same_answer(
    admin_mesh: AdminMesh,
) -> None:
    assignment_id = await assignment_on(admin_mesh)
    text, request_id = essay_text(), "burst-" + assignment_id
    answers = await asyncio.gather(*(
        register(admin_mesh, assignment_id, "burst", "D", request_id=request_id, text=text)
        for _ in range(6)))
    assert all(answer == answers[0] for answer in answers) and answers[0].created
    listed = await admin_mesh.call("ListAnchors",
                                   pb.ListAnchorsRequest(assignment_id=assignment_id))
    assert [a.label for a in listed.anchors] == ["burst"]
