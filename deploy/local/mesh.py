"""Start, stop and inspect the local mesh: infrastructure plus every available service.

State lives in ``<run_dir>/mesh.json`` so that ``down``/``status`` work from another process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy.local import pg_infra
from deploy.local.infra import Infra, start_infra
from deploy.local.procs import pid_alive, poll, port_open, run_sync, terminate
from deploy.local.services import HOST, SERVICES, ServiceSpec, mesh_env, replica_env

READY_TIMEOUT = 60.0
STOP_GRACE = 10.0
Say = Callable[[str], None]


@dataclass
class Replica:
    service: str
    replica: int
    pid: int
    grpc_addr: str
    metrics_port: int
    log: str


@dataclass
class Mesh:
    infra: Infra
    env: dict[str, str]  # what a client (CLI, tests) needs: NATS_URL, *_ADDR, *_DATABASE_URL
    replicas: list[Replica] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def to_record(self) -> dict[str, Any]:
        return {
            "infra": self.infra.to_record(), "env": self.env, "skipped": self.skipped,
            "replicas": [vars(r) for r in self.replicas],
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Mesh:
        return cls(
            infra=Infra.from_record(record["infra"]), env=dict(record["env"]),
            replicas=[Replica(**r) for r in record["replicas"]], skipped=list(record["skipped"]),
        )


def state_file(run_dir: Path) -> Path:
    return run_dir / "mesh.json"


def load(run_dir: Path) -> Mesh | None:
    path = state_file(run_dir)
    if not path.exists():
        return None
    return Mesh.from_record(json.loads(path.read_text()))


def save(run_dir: Path, mesh: Mesh) -> None:
    path = state_file(run_dir)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(mesh.to_record(), indent=2))
    tmp.replace(path)


def is_up(mesh: Mesh) -> bool:
    return any(pid_alive(r.pid) for r in mesh.replicas) or (
        mesh.infra.nats is not None and mesh.infra.nats.running()
    )


def ensure_databases(admin_url: str, specs: tuple[ServiceSpec, ...]) -> dict[str, str]:
    """One database per service (created if missing); returns service name -> SQLAlchemy URL."""

    async def create_all() -> dict[str, str]:
        return {
            s.name: await pg_infra.create_database(admin_url, s.database, exist_ok=True)
            for s in specs if s.database
        }

    return run_sync(create_all)


def up(
    run_dir: Path, *, replicas: Mapping[str, int], env: Mapping[str, str] | None = None,
    say: Say = print, specs: tuple[ServiceSpec, ...] = SERVICES, own_infra: bool = False,
) -> Mesh:
    """Start infrastructure and every available service; raise (after cleaning up) on failure.

    ``own_infra`` starts NATS and PostgreSQL from the wheels even when servers answer, so a
    caller (chaos tests) may stop and restart them.
    """
    env = dict(os.environ if env is None else env)
    with_sample_truth(env)
    run_dir.mkdir(parents=True, exist_ok=True)
    infra = start_infra(env, run_dir=run_dir, force_start=own_infra)
    mesh = Mesh(infra=infra, env={})
    save(run_dir, mesh)
    try:
        databases = ensure_databases(infra.database_url, specs)
        mesh.env = mesh_env(
            nats_url=infra.nats_url, database_urls=databases, replicas=replicas, specs=specs
        )
        _start_services(run_dir, mesh, base_env=env, replicas=replicas, say=say, specs=specs)
    except BaseException:
        down(run_dir, say=say)
        raise
    return mesh


SAMPLE_TRUTH = Path(__file__).resolve().parents[2] / "samples" / "truth.json"
TRUTH_VAR = "LLM_PROVIDER_SIMULATED_TRUTH_FILE"


def with_sample_truth(env: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """Let the simulated judge know the bundled samples' intended quality (unless told otherwise).

    Without it the simulated judge derives quality from a hash of each text, which is
    reproducible but unrelated to how good the sample essays really are.
    """
    if SAMPLE_TRUTH.exists():
        env.setdefault(TRUTH_VAR, str(SAMPLE_TRUTH))
    return env


def _start_services(
    run_dir: Path, mesh: Mesh, *, base_env: Mapping[str, str], replicas: Mapping[str, int],
    say: Say, specs: tuple[ServiceSpec, ...],
) -> None:
    for spec in specs:
        if not spec.available():
            say(f"skip {spec.name}: {spec.module}.__main__ does not exist yet")
            mesh.skipped.append(spec.name)
            continue
        for i in range(replicas.get(spec.name, 1)):
            mesh.replicas.append(_spawn(run_dir, spec, i, {**base_env, **mesh.env}))
            save(run_dir, mesh)
        for replica in mesh.replicas:
            if replica.service == spec.name:
                _wait_ready(replica)
    save(run_dir, mesh)


def _spawn(run_dir: Path, spec: ServiceSpec, index: int, env: Mapping[str, str]) -> Replica:
    grpc_port, metrics_port = spec.ports(index)
    for port in (grpc_port, metrics_port):
        if port_open(HOST, port):
            raise RuntimeError(f"{spec.name}[{index}]: port {port} is already in use")
    log = run_dir / "logs" / f"{spec.name}-{index}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", spec.module], env=replica_env(spec, index, env),
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Replica(spec.name, index, proc.pid, f"{HOST}:{grpc_port}", metrics_port, str(log))


def _wait_ready(replica: Replica, *, timeout: float = READY_TIMEOUT) -> None:
    host, port = replica.grpc_addr.rsplit(":", 1)

    def ready() -> bool:
        if not pid_alive(replica.pid):
            name = f"{replica.service}[{replica.replica}]"
            raise RuntimeError(f"{name} exited:\n{_tail(replica.log)}")
        return port_open(host, int(port))

    if not poll(ready, timeout=timeout, interval=0.2):
        raise TimeoutError(f"{replica.service}[{replica.replica}] not listening on "
                           f"{replica.grpc_addr} after {timeout}s:\n{_tail(replica.log)}")


def _tail(path: str, lines: int = 30) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def down(run_dir: Path, *, say: Say = print) -> bool:
    """Stop services (newest first, SIGTERM then SIGKILL) and the infra started by ``up``."""
    mesh = load(run_dir)
    if mesh is None:
        say("mesh is not running (no mesh.json)")
        return False
    for replica in reversed(mesh.replicas):
        if pid_alive(replica.pid):
            graceful = terminate(replica.pid, grace=STOP_GRACE, group=True)
            say(f"stopped {replica.service}[{replica.replica}]"
                + ("" if graceful else " (killed after grace)"))
    mesh.infra.stop()
    state_file(run_dir).unlink(missing_ok=True)
    say("mesh stopped")
    return True


@contextmanager
def running(
    run_dir: Path, *, replicas: Mapping[str, int], say: Say = print, own_infra: bool = False
) -> Iterator[Mesh]:
    """Reuse a mesh that ``up`` left running, else start one and stop it afterwards."""
    existing = load(run_dir)
    if existing is not None and is_up(existing):
        say(f"using the mesh already running (see {state_file(run_dir)})")
        yield existing
        return
    mesh = up(run_dir, replicas=replicas, say=say, own_infra=own_infra)
    try:
        yield mesh
    finally:
        down(run_dir, say=say)
