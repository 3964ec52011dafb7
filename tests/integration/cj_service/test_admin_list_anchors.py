"""ListAnchors pages through an assignment's anchors and counts them by grade."""

from __future__ import annotations

import grpc
import pytest

from contracts.errors import reason_of
from contracts.huleedu.cj.v1 import cj_admin_pb2 as pb
from tests.fixtures import unique_name
from tests.integration.cj_service.admin_anchor_helpers import assignment_on, register
from tests.integration.cj_service.admin_fixtures import *  # noqa: F403
from tests.integration.cj_service.admin_fixtures import AdminMesh

pytestmark = pytest.mark.integration


async def test_pages_cover_every_anchor_once_and_counts_follow_the_scale(
    admin_mesh: AdminMesh,
) -> None:
    assignment_id = await assignment_on(admin_mesh)
    grades = {"a0": "F", "a1": "C", "a2": "C", "a3": "A", "a4": "C+"}
    for label, grade in grades.items():
        await register(admin_mesh, assignment_id, label, grade)
    seen, token, pages = [], "", []
    while True:
        page = await admin_mesh.call("ListAnchors", pb.ListAnchorsRequest(
            assignment_id=assignment_id, page_size=2, page_token=token))
        pages.append(page)
        seen += [(a.label, a.grade) for a in page.anchors]
        token = page.next_page_token
        if not token:
            break
    assert seen == sorted(grades.items())
    assert len(pages) == 3
    counts = [(c.grade, c.count) for c in pages[0].counts_by_grade]
    assert counts == [("F", 1), ("E", 0), ("D", 0), ("D+", 0), ("C", 2), ("C+", 1), ("B", 0),
                      ("A", 1)]


async def test_an_assignment_without_anchors_lists_nothing(admin_mesh: AdminMesh) -> None:
    page = await admin_mesh.call("ListAnchors",
                                 pb.ListAnchorsRequest(assignment_id=unique_name("empty")))
    assert (list(page.anchors), page.next_page_token, list(page.counts_by_grade)) == ([], "", [])


async def test_a_page_token_of_another_assignment_is_invalid_page_token(
    admin_mesh: AdminMesh,
) -> None:
    assignment_id = await assignment_on(admin_mesh)
    for label in ("a", "b"):
        await register(admin_mesh, assignment_id, label, "C")
    page = await admin_mesh.call("ListAnchors",
                                 pb.ListAnchorsRequest(assignment_id=assignment_id, page_size=1))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin_mesh.call("ListAnchors", pb.ListAnchorsRequest(
            assignment_id=unique_name("other"), page_token=page.next_page_token))
    assert (caught.value.code(), reason_of(caught.value)) == (
        grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN")


async def test_listing_without_an_assignment_is_invalid_argument(admin_mesh: AdminMesh) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin_mesh.call("ListAnchors", pb.ListAnchorsRequest())
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
