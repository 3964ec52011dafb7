"""The shared fixtures hand out working, isolated infrastructure."""

import asyncpg
import grpc
import nats
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from deploy.local import pg_infra

pytestmark = pytest.mark.integration


async def test_the_session_nats_has_jetstream(nats_url) -> None:
    nc = await nats.connect(nats_url)
    try:
        info = await nc.jetstream().account_info()
        assert info.limits is not None
    finally:
        await nc.close()


async def test_the_session_database_is_private_and_writable(database_url) -> None:
    assert pg_infra.database_of(database_url).startswith("test_")
    conn = await asyncpg.connect(pg_infra.to_asyncpg(database_url))
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS probe (v int)")
        current = await conn.fetchval("SELECT current_database()")
        assert current == pg_infra.database_of(database_url)
    finally:
        await conn.close()


async def test_fresh_databases_are_distinct_and_empty(fresh_database) -> None:
    first, second = fresh_database(), fresh_database()
    assert first != second
    conn = await asyncpg.connect(pg_infra.to_asyncpg(first))
    try:
        tables = await conn.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
        assert tables == 0
    finally:
        await conn.close()


async def test_the_grpc_server_fixture_serves_on_an_os_chosen_port(grpc_server) -> None:
    servicer = health.aio.HealthServicer()
    await servicer.set("probe", health_pb2.HealthCheckResponse.SERVING)
    address = await grpc_server((health_pb2_grpc.add_HealthServicer_to_server, servicer))
    assert address.startswith("127.0.0.1:") and not address.endswith(":0")
    async with grpc.aio.insecure_channel(address) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="probe"), timeout=5
        )
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
