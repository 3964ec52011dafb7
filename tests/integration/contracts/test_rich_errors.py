"""A rich error raised by a real aio server arrives at the client with its code and reason."""

import re

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from contracts import errors
from contracts.huleedu.content.v1 import content_pb2, content_service_pb2_grpc
from contracts.serving import LoggingInterceptor, add_standard_services


class RefusingContent(content_service_pb2_grpc.ContentServiceServicer):
    async def GetContent(self, request, context):
        await errors.abort(
            context,
            errors.not_found(
                "CONTENT_NOT_FOUND",
                f"no content {request.content_id}",
                content_id=request.content_id,
            ),
            domain="content.huleedu",
        )

    async def StatContent(self, request, context):
        raise RuntimeError('asyncpg: invalid byte sequence [SQL: SELECT * FROM "content_items"]')


@pytest.fixture
async def address():
    server = grpc.aio.server(interceptors=[LoggingInterceptor("test")])
    content_service_pb2_grpc.add_ContentServiceServicer_to_server(RefusingContent(), server)
    await add_standard_services(server, ["huleedu.content.v1.ContentService"])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield f"127.0.0.1:{port}"
    await server.stop(None)


async def test_the_client_reads_code_reason_domain_and_metadata(address):
    async with grpc.aio.insecure_channel(address) as channel:
        stub = content_service_pb2_grpc.ContentServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.GetContent(content_pb2.GetContentRequest(content_id="abc"))
    err = caught.value
    assert err.code() == grpc.StatusCode.NOT_FOUND
    assert err.details() == "no content abc"
    info = errors.error_info(err)
    assert (info.reason, info.domain, dict(info.metadata)) == (
        "CONTENT_NOT_FOUND",
        "content.huleedu",
        {"content_id": "abc"},
    )


async def test_an_unhandled_exception_is_internal_with_an_incident_and_no_exception_text(
    address, capsys
):
    async with grpc.aio.insecure_channel(address) as channel:
        stub = content_service_pb2_grpc.ContentServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.StatContent(content_pb2.StatContentRequest(content_id="abc"))
    err = caught.value
    assert err.code() == grpc.StatusCode.INTERNAL
    assert re.fullmatch(r"internal error \(incident [0-9a-f]{12}\)", err.details())
    incident = err.details()[-13:-1]
    logged = capsys.readouterr()
    assert incident in logged.out + logged.err  # the operator finds the cause by the incident


async def test_health_reports_serving_for_the_server_and_each_service(address):
    async with grpc.aio.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for name in ("", "huleedu.content.v1.ContentService"):
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=name))
            assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_an_unknown_reason_is_refused_at_construction():
    with pytest.raises(ValueError):
        errors.invalid_argument("NOT_A_REASON", "x")


def test_a_plain_error_without_details_has_no_reason():
    class Plain(grpc.RpcError):
        def trailing_metadata(self):
            return ()

        def code(self):
            return grpc.StatusCode.INTERNAL

        def details(self):
            return "boom"

    assert errors.reason_of(Plain()) == ""


def test_a_service_error_survives_a_context_manager_that_re_raises_it():
    import contextlib

    @contextlib.contextmanager
    def transaction():
        yield

    with pytest.raises(errors.ServiceError) as caught, transaction():
        raise errors.not_found("CONTENT_NOT_FOUND", "gone")
    assert caught.value.reason == "CONTENT_NOT_FOUND"
