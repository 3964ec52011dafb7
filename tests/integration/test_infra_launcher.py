"""``python -m deploy.local up/down``: real processes, real ports, the documented env."""

import json
import os
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from deploy.local import mesh, pg_infra
from deploy.local.procs import free_port, pid_alive, port_open, run_sync
from deploy.local.services import ServiceSpec
from tests.fixtures import unique_name
from tests.fixtures.scratch import scratch_dir

pytestmark = pytest.mark.integration
ROOT = str(Path(__file__).resolve().parents[2])


def free_base() -> tuple[int, int]:
    """A grpc and a metrics port whose +10 neighbours (replica 1) are free too."""
    while True:
        grpc_port, metrics_port = free_port(), free_port()
        ports = (grpc_port, grpc_port + 10, metrics_port, metrics_port + 10)
        if len(set(ports)) == 4 and not any(port_open("127.0.0.1", p) for p in ports):
            return grpc_port, metrics_port


def dummy_spec(database: str) -> ServiceSpec:
    grpc_port, metrics_port = free_base()
    return ServiceSpec("dummy", "tests.fixtures.dummy_service", "DUMMY", grpc_port,
                       metrics_port, database, "DUMMY_ADDR")


@pytest.fixture
def launch_env(nats_url, postgres_admin_url):
    with scratch_dir("mesh-env") as out:
        yield {**os.environ, "NATS_URL": nats_url, "DATABASE_URL": postgres_admin_url,
               "DUMMY_ENV_OUT": str(out), "PYTHONPATH": ROOT}, out


@pytest.fixture
def run_dir():
    with scratch_dir("mesh") as path:
        yield path
        mesh.down(path, say=lambda _: None)  # in case a test failed half-way


@pytest.fixture
def database(postgres_admin_url):
    name = unique_name("dummy")
    yield name
    run_sync(lambda: pg_infra.drop_database(postgres_admin_url, name))


async def health_of(address: str) -> int:
    async with grpc.aio.insecure_channel(address) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=5
        )
    return reply.status


async def test_up_starts_each_replica_on_its_own_port_with_the_documented_env(
    launch_env, run_dir, database, postgres_admin_url, nats_url
) -> None:
    env, out = launch_env
    spec = dummy_spec(database)
    said: list[str] = []
    started = mesh.up(run_dir, replicas={"dummy": 2}, env=env, specs=(spec,), say=said.append)

    assert [r.grpc_addr for r in started.replicas] == [
        f"127.0.0.1:{spec.grpc_port}", f"127.0.0.1:{spec.grpc_port + 10}"
    ]
    for replica in started.replicas:
        assert await health_of(replica.grpc_addr) == health_pb2.HealthCheckResponse.SERVING
    seen = json.loads((out / "dummy-1.json").read_text())
    assert seen["DUMMY_GRPC_PORT"] == str(spec.grpc_port + 10)
    assert seen["DUMMY_METRICS_PORT"] == str(spec.metrics_port + 10)
    assert seen["NATS_URL"] == nats_url
    assert seen["DATABASE_URL"] == seen["DUMMY_DATABASE_URL"]
    assert seen["DATABASE_URL"] == pg_infra.to_sqlalchemy(
        pg_infra.with_database(postgres_admin_url, database)
    )
    assert seen["DUMMY_ADDR"] == f"ipv4:127.0.0.1:{spec.grpc_port},127.0.0.1:{spec.grpc_port + 10}"
    assert await pg_infra.database_exists(postgres_admin_url, database)
    assert mesh.load(run_dir) == started


def test_down_stops_every_replica_and_forgets_the_mesh(launch_env, run_dir, database) -> None:
    env, _ = launch_env
    started = mesh.up(run_dir, replicas={"dummy": 2}, env=env, specs=(dummy_spec(database),),
                      say=lambda _: None)
    assert mesh.down(run_dir, say=lambda _: None) is True
    assert not any(pid_alive(r.pid) for r in started.replicas)
    assert not mesh.state_file(run_dir).exists()
    assert mesh.down(run_dir, say=lambda _: None) is False


def test_a_service_whose_package_is_missing_is_skipped_and_said(launch_env, run_dir) -> None:
    env, _ = launch_env
    ghost = ServiceSpec("ghost", "no_such_service", "GHOST", 1, 2, None, "GHOST_ADDR")
    said: list[str] = []
    started = mesh.up(run_dir, replicas={}, env=env, specs=(ghost,), say=said.append)
    assert started.skipped == ["ghost"] and started.replicas == []
    assert said == ["skip ghost: no_such_service.__main__ does not exist yet"]


def test_a_service_that_dies_on_start_fails_up_with_its_log_and_leaves_nothing_running(
    launch_env, run_dir, database
) -> None:
    env, _ = launch_env
    with pytest.raises(RuntimeError, match="(?s)dummy\\[0\\] exited.*refusing to start"):
        mesh.up(run_dir, replicas={}, env={**env, "DUMMY_CRASH": "1"},
                specs=(dummy_spec(database),), say=lambda _: None)
    assert mesh.load(run_dir) is None


def test_a_port_already_in_use_is_reported_before_starting_anything(
    launch_env, run_dir, database, fresh_nats_server
) -> None:
    env, _ = launch_env
    busy = fresh_nats_server()
    spec = ServiceSpec("dummy", "tests.fixtures.dummy_service", "DUMMY", busy.port,
                       free_port(), database, "DUMMY_ADDR")
    with pytest.raises(RuntimeError, match=f"port {busy.port} is already in use"):
        mesh.up(run_dir, replicas={}, env=env, specs=(spec,), say=lambda _: None)
