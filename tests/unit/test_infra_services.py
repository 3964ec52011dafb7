"""The launcher's service table: ports per replica, client targets and each replica's env."""

import pytest

from deploy.local.__main__ import parse_replicas
from deploy.local.services import SERVICES, ServiceSpec, client_target, mesh_env, replica_env

CONTENT, LLM, CJ = SERVICES


def test_default_addresses_are_the_documented_ones() -> None:
    assert [(s.name, s.ports(0)) for s in SERVICES] == [
        ("content", (50051, 9101)), ("llm_provider", (50052, 9102)), ("cj", (50053, 9103)),
    ]


def test_each_replica_gets_ports_ten_apart() -> None:
    assert [CJ.ports(i) for i in range(3)] == [(50053, 9103), (50063, 9113), (50073, 9123)]


def test_no_two_replicas_of_any_services_share_a_port() -> None:
    ports = [p for s in SERVICES for i in range(5) for p in s.ports(i)]
    assert len(ports) == len(set(ports))


def test_one_replica_is_addressed_by_host_and_port() -> None:
    assert client_target(CONTENT, 1) == "127.0.0.1:50051"


def test_several_replicas_are_addressed_as_an_ipv4_target_list() -> None:
    assert client_target(LLM, 2) == "ipv4:127.0.0.1:50052,127.0.0.1:50062"


def test_mesh_env_names_every_service_and_its_database() -> None:
    env = mesh_env(
        nats_url="nats://x:1", database_urls={"cj": "postgresql+asyncpg://h/huleedu_cj"},
        replicas={"cj": 2},
    )
    assert env == {
        "NATS_URL": "nats://x:1",
        "CONTENT_ADDR": "127.0.0.1:50051",
        "LLM_PROVIDER_ADDR": "127.0.0.1:50052",
        "CJ_ADDR": "ipv4:127.0.0.1:50053,127.0.0.1:50063",
        "CJ_DATABASE_URL": "postgresql+asyncpg://h/huleedu_cj",
    }


def test_a_replica_gets_its_ports_instance_id_and_own_database_as_database_url() -> None:
    shared = {"NATS_URL": "n", "CJ_DATABASE_URL": "db-cj", "CONTENT_DATABASE_URL": "db-c"}
    env = replica_env(CJ, 1, shared)
    assert env["CJ_GRPC_PORT"] == "50063" and env["CJ_METRICS_PORT"] == "9113"
    assert env["CJ_GRPC_HOST"] == "127.0.0.1"
    assert env["HULEEDU_INSTANCE_ID"] == "cj-1"
    assert env["DATABASE_URL"] == "db-cj"
    assert env["NATS_URL"] == "n"


def test_a_service_without_a_main_module_is_not_available() -> None:
    spec = ServiceSpec("x", "deploy", "X", 1, 2, None, "X_ADDR")
    assert not spec.available()
    assert not ServiceSpec("y", "no_such_package_here", "Y", 1, 2, None, "Y_ADDR").available()


def test_a_service_with_a_main_module_is_available() -> None:
    assert ServiceSpec("d", "deploy.local", "D", 1, 2, None, "D_ADDR").available()


def test_replicas_default_to_one_each() -> None:
    assert parse_replicas([]) == {"content": 1, "llm_provider": 1, "cj": 1}


def test_a_bare_replica_count_applies_to_every_service_and_a_named_one_overrides() -> None:
    assert parse_replicas(["2", "cj=3"]) == {"content": 2, "llm_provider": 2, "cj": 3}


@pytest.mark.parametrize("bad", ["0", "cj=x", "nope=2", "-1"])
def test_bad_replica_counts_are_refused(bad: str) -> None:
    with pytest.raises(SystemExit, match="bad --replicas"):
        parse_replicas([bad])
