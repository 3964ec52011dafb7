"""gRPC health follows the database: NOT_SERVING while it is unreachable and on shutdown."""

from __future__ import annotations

import asyncio

import asyncpg
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from content_service import SERVICE_NAME
from contracts.errors import reason_of
from contracts.huleedu.content.v1 import content_pb2 as pb
from contracts.huleedu.content.v1.content_service_pb2_grpc import ContentServiceStub
from deploy.local.pg_infra import database_of, to_asyncpg, with_database
from tests.fixtures import wait_until
from tests.integration.content_service.content_helpers import essay_bytes, put, rpc_error

pytestmark = pytest.mark.integration
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def _statuses(channel: grpc.aio.Channel) -> set[int]:
    stub = health_pb2_grpc.HealthStub(channel)
    answers = [
        await stub.Check(health_pb2.HealthCheckRequest(service=name)) for name in ("", SERVICE_NAME)
    ]
    return {a.status for a in answers}


async def _allow_connections(admin_url: str, database: str, *, allowed: bool) -> None:
    """Make the database (un)reachable: refuse new sessions and end the current ones."""
    conn = await asyncpg.connect(to_asyncpg(with_database(admin_url, "postgres")))
    try:
        await conn.execute(
            f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}'
        )
        if not allowed:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                database,
            )
    finally:
        await conn.close()


async def test_health_goes_not_serving_while_the_database_is_away_and_back_after(
    content_config, start_content, fresh_database, postgres_admin_url
):
    url = fresh_database()
    database = database_of(url)
    app = await start_content(content_config(database_url=url))
    async with grpc.aio.insecure_channel(app.address) as channel:
        assert await _statuses(channel) == {SERVING}

        await _allow_connections(postgres_admin_url, database, allowed=False)
        try:
            await wait_until(lambda: _is(channel, NOT_SERVING), message="NOT_SERVING")
            err = await rpc_error(put(ContentServiceStub(channel), essay_bytes()))
        finally:
            await _allow_connections(postgres_admin_url, database, allowed=True)

        assert err.code() == grpc.StatusCode.UNAVAILABLE
        assert reason_of(err) == "DEPENDENCY_UNAVAILABLE"
        await wait_until(lambda: _is(channel, SERVING), message="SERVING again")
        stored = await wait_until(lambda: put(ContentServiceStub(channel), essay_bytes()))
        assert stored.created is True


async def test_health_reports_not_serving_once_shutdown_begins(content_app):
    async with grpc.aio.insecure_channel(content_app.address) as channel:
        await content_app.drain()
        assert await _statuses(channel) == {NOT_SERVING}

        # The database is fine, and a probe that reports so must not undo the drain.
        content_app.probe.healthy = None
        assert await content_app.probe.check_once() is True
        assert await _statuses(channel) == {NOT_SERVING}


async def _is(channel: grpc.aio.Channel, status: int) -> bool:
    return await _statuses(channel) == {status}


async def test_calls_right_after_the_database_dropped_every_connection_succeed(
    content_config, start_content, fresh_database, postgres_admin_url
):
    url = fresh_database()
    app = await start_content(content_config(database_url=url))
    async with grpc.aio.insecure_channel(app.address) as channel:
        stub = ContentServiceStub(channel)
        stored = await put(stub, essay_bytes())
        request = pb.GetContentRequest(content_id=stored.metadata.content_id)
        await asyncio.gather(*(stub.GetContent(request) for _ in range(30)))  # fill the pool

        await _terminate_sessions(postgres_admin_url, database_of(url))

        got = await stub.GetContent(request)
        again = await put(stub, essay_bytes())
    assert got.item.metadata == stored.metadata
    assert again.created is True


async def _terminate_sessions(admin_url: str, database: str) -> None:
    conn = await asyncpg.connect(to_asyncpg(with_database(admin_url, "postgres")))
    try:
        ended = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1",
            database,
        )
    finally:
        await conn.close()
    assert ended >= 2  # the pool's connections and the probe's
