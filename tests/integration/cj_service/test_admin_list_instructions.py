"""ListAssessmentInstructions pages through every instruction, optionally by grade scale."""

from __future__ import annotations

import grpc
import pytest

from contracts.errors import reason_of
from contracts.huleedu.cj.v1 import cj_admin_pb2 as pb
from tests.integration.cj_service.admin_fixtures import *  # noqa: F403
from tests.integration.cj_service.admin_fixtures import AdminMesh

pytestmark = pytest.mark.integration
SCALES = ["swedish_8_anchor", "eng5_np_national_9_step"]


async def seed(mesh: AdminMesh, count: int) -> dict[str, str]:
    """`count` assignments alternating between two scales; {assignment_id: scale}."""
    made = {}
    for i in range(count):
        assignment_id, scale = f"a{i:02d}", SCALES[i % 2]
        await mesh.call("UpsertAssessmentInstruction", pb.UpsertAssessmentInstructionRequest(
            request_id=f"seed-{i}", scope=pb.InstructionScope(assignment_id=assignment_id),
            grade_scale_id=scale))
        made[assignment_id] = scale
    return made


async def all_pages(mesh: AdminMesh, **fields) -> tuple[list[str], list[int], int]:
    seen, sizes, token, pages = [], [], "", 0
    while True:
        page = await mesh.call("ListAssessmentInstructions",
                               pb.ListAssessmentInstructionsRequest(page_token=token, **fields))
        seen += [i.scope.assignment_id for i in page.instructions]
        sizes.append(page.total_count)
        pages += 1
        token = page.next_page_token
        if not token:
            return seen, sizes, pages


async def test_paging_returns_every_instruction_once_in_order(
    fresh_admin_mesh: AdminMesh,
) -> None:
    made = await seed(fresh_admin_mesh, 7)
    seen, totals, pages = await all_pages(fresh_admin_mesh, page_size=3)
    assert seen == sorted(made)
    assert pages == 3 and set(totals) == {7}


async def test_a_grade_scale_filter_pages_through_that_scale_only(
    fresh_admin_mesh: AdminMesh,
) -> None:
    made = await seed(fresh_admin_mesh, 7)
    seen, totals, _ = await all_pages(fresh_admin_mesh, page_size=2,
                                      grade_scale_id="eng5_np_national_9_step")
    expected = sorted(a for a, s in made.items() if s == "eng5_np_national_9_step")
    assert seen == expected and set(totals) == {len(expected)}


async def test_a_page_token_used_with_another_filter_is_invalid_page_token(
    fresh_admin_mesh: AdminMesh,
) -> None:
    await seed(fresh_admin_mesh, 3)
    first = await fresh_admin_mesh.call("ListAssessmentInstructions",
                                        pb.ListAssessmentInstructionsRequest(page_size=1))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await fresh_admin_mesh.call("ListAssessmentInstructions",
                                    pb.ListAssessmentInstructionsRequest(
                                        page_size=1, page_token=first.next_page_token,
                                        grade_scale_id="swedish_8_anchor"))
    assert (caught.value.code(), reason_of(caught.value)) == (
        grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN")


@pytest.mark.parametrize("fields,reason", [
    ({"page_token": "not-a-token"}, "INVALID_PAGE_TOKEN"),
    ({"page_size": -1}, "INVALID_ARGUMENT"),
    ({"grade_scale_id": "nope"}, "UNKNOWN_GRADE_SCALE"),
])
async def test_bad_list_arguments_are_invalid_argument(
    admin_mesh: AdminMesh, fields: dict, reason: str,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin_mesh.call("ListAssessmentInstructions",
                              pb.ListAssessmentInstructionsRequest(**fields))
    assert (caught.value.code(), reason_of(caught.value)) == (
        grpc.StatusCode.INVALID_ARGUMENT, reason)
