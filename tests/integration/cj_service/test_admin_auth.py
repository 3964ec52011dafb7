"""Every CJAdminService call needs a valid admin JWT; health and reflection stay open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from contracts.errors import error_info, reason_of
from contracts.huleedu.cj.v1 import cj_admin_pb2 as pb
from contracts.huleedu.cj.v1 import cj_service_pb2
from tests.integration.cj_service.admin_fixtures import *  # noqa: F403
from tests.integration.cj_service.admin_fixtures import AdminMesh

pytestmark = pytest.mark.integration
LIST = pb.ListGradeScalesRequest()


async def refused(mesh: AdminMesh, metadata: tuple) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await mesh.stub.ListGradeScales(LIST, metadata=metadata, timeout=10)
    return caught.value


async def test_a_valid_admin_token_is_let_through(admin_mesh: AdminMesh) -> None:
    response = await admin_mesh.call("ListGradeScales", LIST)
    assert len(response.scales) == 3


async def test_a_call_without_a_token_is_unauthenticated_missing_token(
    admin_mesh: AdminMesh,
) -> None:
    err = await refused(admin_mesh, ())
    assert err.code() == grpc.StatusCode.UNAUTHENTICATED
    assert reason_of(err) == "MISSING_TOKEN"
    assert error_info(err).domain == "cj.huleedu"


async def test_an_expired_token_is_unauthenticated_token_expired(admin_mesh: AdminMesh) -> None:
    stale = admin_mesh.token(now=datetime.now(UTC) - timedelta(hours=2), ttl_seconds=60)
    err = await refused(admin_mesh, admin_mesh.auth(stale))
    assert (err.code(), reason_of(err)) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_EXPIRED")


@pytest.mark.parametrize("override", [
    {"audience": "some-other-service"},
    {"issuer": "someone-else"},
    {"signing_key": "a-different-secret-of-at-least-32-bytes"},
])
async def test_a_token_for_another_audience_issuer_or_key_is_invalid_token(
    admin_mesh: AdminMesh, override: dict,
) -> None:
    err = await refused(admin_mesh, admin_mesh.auth(admin_mesh.token(**override)))
    assert (err.code(), reason_of(err)) == (grpc.StatusCode.UNAUTHENTICATED, "INVALID_TOKEN")


@pytest.mark.parametrize("header", ["Bearer not-a-jwt", "Basic YWRtaW46YWRtaW4=", "Bearer "])
async def test_a_malformed_authorization_header_is_invalid_token(
    admin_mesh: AdminMesh, header: str,
) -> None:
    err = await refused(admin_mesh, (("authorization", header),))
    assert (err.code(), reason_of(err)) == (grpc.StatusCode.UNAUTHENTICATED, "INVALID_TOKEN")


async def test_a_token_without_the_admin_role_is_permission_denied(admin_mesh: AdminMesh) -> None:
    err = await refused(admin_mesh, admin_mesh.auth(admin_mesh.token(roles=("teacher",))))
    assert (err.code(), reason_of(err)) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_ADMIN")


async def test_a_refused_mutation_changes_nothing(admin_mesh: AdminMesh) -> None:
    request = pb.UpsertAssessmentInstructionRequest(
        request_id="r-refused", scope=pb.InstructionScope(assignment_id="refused-assignment"),
        grade_scale_id="swedish_8_anchor")
    with pytest.raises(grpc.aio.AioRpcError):
        await admin_mesh.stub.UpsertAssessmentInstruction(request, timeout=10)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin_mesh.call("GetAssessmentInstruction", pb.GetAssessmentInstructionRequest(
            scope=request.scope))
    assert reason_of(caught.value) == "INSTRUCTION_NOT_FOUND"


async def test_health_needs_no_token(admin_mesh: AdminMesh) -> None:
    stub = health_pb2_grpc.HealthStub(admin_mesh.channel)
    response = await stub.Check(health_pb2.HealthCheckRequest(
        service="huleedu.cj.v1.CJAdminService"), timeout=10)
    assert response.status == health_pb2.HealthCheckResponse.SERVING


ADMIN_METHODS = [m.name for m in cj_service_pb2.DESCRIPTOR.services_by_name[
    "CJAdminService"].methods]


@pytest.mark.parametrize("method", ADMIN_METHODS)
async def test_every_admin_method_reads_included_needs_a_token(
    admin_mesh: AdminMesh, method: str,
) -> None:
    call = admin_mesh.channel.unary_unary(
        f"/huleedu.cj.v1.CJAdminService/{method}",
        request_serializer=lambda _: b"", response_deserializer=lambda raw: raw)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(None, timeout=10)
    assert (caught.value.code(), reason_of(caught.value)) == (
        grpc.StatusCode.UNAUTHENTICATED, "MISSING_TOKEN")
