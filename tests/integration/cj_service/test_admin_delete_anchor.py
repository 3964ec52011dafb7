"""DeleteAnchor removes one anchor; deleting it again is NOT_FOUND ANCHOR_NOT_FOUND."""

from __future__ import annotations

import grpc
import pytest

from contracts.errors import reason_of
from contracts.huleedu.cj.v1 import cj_admin_pb2 as pb
from tests.integration.cj_service.admin_anchor_helpers import assignment_on, register
from tests.integration.cj_service.admin_fixtures import *  # noqa: F403
from tests.integration.cj_service.admin_fixtures import AdminMesh

pytestmark = pytest.mark.integration


async def test_a_deleted_anchor_is_gone_and_a_repeat_is_not_found(
    admin_mesh: AdminMesh,
) -> None:
    assignment_id = await assignment_on(admin_mesh)
    doomed = (await register(admin_mesh, assignment_id, "doomed", "C")).anchor
    await register(admin_mesh, assignment_id, "kept", "B")
    request = pb.DeleteAnchorRequest(anchor_id=doomed.anchor_id)
    assert (await admin_mesh.call("DeleteAnchor", request)).deleted
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin_mesh.call("DeleteAnchor", request)
    assert (caught.value.code(), reason_of(caught.value)) == (
        grpc.StatusCode.NOT_FOUND, "ANCHOR_NOT_FOUND")
    listed = await admin_mesh.call("ListAnchors",
                                   pb.ListAnchorsRequest(assignment_id=assignment_id))
    assert [a.label for a in listed.anchors] == ["kept"]


async def test_deleting_without_an_anchor_id_is_invalid_argument(admin_mesh: AdminMesh) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin_mesh.call("DeleteAnchor", pb.DeleteAnchorRequest())
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
