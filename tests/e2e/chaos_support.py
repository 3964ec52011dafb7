"""Chaos harness: the real mesh as processes, k replicas per service, on a 3-node JetStream
cluster and an embedded PostgreSQL that the harness owns, so it can kill or restart any part.

Services are started through the deploy.local launcher (``mesh.up``) pointed at this
infrastructure; each service gets a free block of ports so a running ``make up`` is never
disturbed. Faults are synchronous and slow (process start-up), so tests run them in a thread.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import random
import signal
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from deploy.local import mesh as mesh_mod
from deploy.local.nats_infra import NatsCluster, start_nats_cluster
from deploy.local.pg_infra import EmbeddedPostgres, start_embedded_postgres, to_asyncpg
from deploy.local.procs import free_port, pid_alive, poll, port_open
from deploy.local.services import SERVICES, ServiceSpec

SERVICE_NAMES = tuple(spec.name for spec in SERVICES)
PORT_BLOCK = 16  # per service set: grpc/metrics of replicas 0 and 1 (base + 10*i)


def free_specs(*, replicas: int, attempts: int = 50) -> tuple[ServiceSpec, ...]:
    """SERVICES moved to a block of loopback ports that are all free right now, below the
    kernel's ephemeral range: a port from there can be handed to Postgres or a NATS node
    started later (they bind port 0) while a killed replica's port is free, and a connect
    probe to a closed ephemeral port can even connect to itself."""
    rng = random.Random()
    top = min(40_000, _ephemeral_low()) - PORT_BLOCK * 10
    for _ in range(attempts):
        base = rng.randrange(20_000, max(top, 20_100), 100)
        specs = tuple(
            dataclasses.replace(spec, grpc_port=base + k, metrics_port=base + len(SERVICES) + k)
            for k, spec in enumerate(SERVICES)
        )
        ports = [p for s in specs for i in range(replicas) for p in s.ports(i)]
        if not any(port_open("127.0.0.1", p, timeout=0.1) for p in ports) and _bindable(ports):
            return specs
    raise RuntimeError("no free block of ports for the chaos mesh")


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 40_000


def _bindable(ports: list[int]) -> bool:
    import socket

    try:
        for port in ports:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", port))
    except OSError:
        return False
    return True


@dataclass
class Fault:
    at: float
    action: str
    target: str
    running_batches: int = -1  # filled in by the caller that knows


@dataclass
class ChaosMesh:
    run_dir: Path
    cluster: NatsCluster
    postgres: EmbeddedPostgres
    mesh: mesh_mod.Mesh
    specs: tuple[ServiceSpec, ...]
    base_env: dict[str, str]
    faults: list[Fault] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    @property
    def env(self) -> dict[str, str]:
        return dict(self.mesh.env)

    @property
    def cj_dsn(self) -> str:
        return to_asyncpg(self.mesh.env["CJ_DATABASE_URL"])

    def _note(self, action: str, target: str) -> Fault:
        fault = Fault(round(time.monotonic() - self.started, 1), action, target)
        self.faults.append(fault)
        return fault

    def replicas_of(self, service: str) -> list[mesh_mod.Replica]:
        return [r for r in self.mesh.replicas if r.service == service]

    def kill_replica(self, service: str, rng: random.Random) -> mesh_mod.Replica:
        """SIGKILL one replica's whole process group, as a crash or OOM kill would."""
        victim = rng.choice(self.replicas_of(service))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(victim.pid, signal.SIGKILL)
        poll(lambda: not pid_alive(victim.pid), timeout=10)
        _reap(victim.pid)
        self._note("kill -9", f"{service}[{victim.replica}]")
        return victim

    def restart_replica(self, victim: mesh_mod.Replica) -> mesh_mod.Replica:
        spec = next(s for s in self.specs if s.name == victim.service)
        fresh = mesh_mod._spawn(self.run_dir, spec, victim.replica, {**self.base_env,
                                                                     **self.mesh.env})
        self.mesh.replicas[self.mesh.replicas.index(victim)] = fresh
        mesh_mod.save(self.run_dir, self.mesh)  # so that `down` stops the new process
        mesh_mod._wait_ready(fresh)
        self._note("restart", f"{victim.service}[{victim.replica}]")
        return fresh

    def kill_nats_node(self, index: int) -> None:
        self.cluster.nodes[index].kill()
        self._note("kill -9", f"nats-n{index}")

    def restart_nats_node(self, index: int) -> None:
        node = self.cluster.nodes[index]
        node.launch()
        node.wait_ready(timeout=60)
        self._note("restart", f"nats-n{index}")

    def restart_postgres(self) -> None:
        self.postgres.restart()
        self._note("restart", "postgres")

    def keep_logs(self) -> Path:
        """Copy every log (services, NATS nodes, PostgreSQL) somewhere that outlives the test."""
        import shutil

        kept = Path(tempfile.mkdtemp(prefix="huleedu-chaos-failed-"))
        shutil.copytree(self.run_dir / "logs", kept / "services", dirs_exist_ok=True)
        for i, node in enumerate(self.cluster.nodes):
            if node.log_file.exists():
                shutil.copy(node.log_file, kept / f"nats-n{i}.log")
        pg_log = self.postgres.data_dir / "server.log"
        if pg_log.exists():
            shutil.copy(pg_log, kept / "postgres.log")
        return kept

    def all_alive(self) -> bool:
        return all(pid_alive(r.pid) for r in self.mesh.replicas) and all(
            node.running() for node in self.cluster.nodes
        )

    def stop(self) -> None:
        try:
            mesh_mod.save(self.run_dir, self.mesh)
            mesh_mod.down(self.run_dir, say=lambda _: None)
        finally:
            self.cluster.stop()
            self.postgres.stop()


def start_chaos_mesh(
    base_dir: Path, *, replicas: int = 2, extra_env: Mapping[str, str] | None = None,
    nats_nodes: int = 3,
) -> ChaosMesh:
    """NATS cluster + PostgreSQL + ``replicas`` processes of every service, all on loopback."""
    cluster = start_nats_cluster(base_dir / "nats", size=nats_nodes)
    try:
        postgres = start_embedded_postgres(base_dir / "pg" / "data", port=free_port())
    except BaseException:
        cluster.stop()
        raise
    env = {
        **{k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")},
        "NATS_URL": cluster.url, "DATABASE_URL": postgres.url,
        "HULEEDU_STREAM_REPLICAS": str(min(3, nats_nodes)), "LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    specs = free_specs(replicas=replicas)
    run_dir = base_dir / "run"
    try:
        started = mesh_mod.up(
            run_dir, replicas={s.name: replicas for s in specs}, env=env, specs=specs,
            say=lambda _: None,
        )
    except BaseException:
        cluster.stop()
        postgres.stop()
        raise
    return ChaosMesh(run_dir, cluster, postgres, started, specs, env)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def scrape(port: int, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples called ``name`` on a replica's /metrics page, keyed by their labels."""
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as page:
        text = page.read().decode()
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples if s.name == name
    }


def call_outcomes(mesh: ChaosMesh) -> dict[str, float]:
    """Provider calls by outcome, summed over the llm_provider replicas alive now."""
    totals: dict[str, float] = {}
    for replica in mesh.replicas_of("llm_provider"):
        for labels, value in scrape(replica.metrics_port,
                                    "huleedu_llm_provider_calls_total").items():
            outcome = dict(labels)["outcome"]
            totals[outcome] = totals.get(outcome, 0.0) + value
    return totals
