"""A private local mesh for CLI tests: the real three services as processes, via deploy.local.

Each mesh gets free ports, its own databases and its own NATS namespace, so it never touches a
mesh that `make up` started (or another test's), and everything is removed afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import nats

from deploy.local import mesh as mesh_mod
from deploy.local import pg_infra
from deploy.local.infra import start_infra
from deploy.local.procs import free_port, run_sync
from deploy.local.services import SERVICES, ServiceSpec, mesh_env
from tests.fixtures import unique_name

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "samples"
FAST_ENV = {
    # The simulated judge follows the samples' intended quality (see samples/README.md).
    "LLM_PROVIDER_SIMULATED_TRUTH_FILE": str(SAMPLES / "truth.json"),
    "LLM_PROVIDER_SIMULATED_NOISE_SD": "0.3",
    "LLM_PROVIDER_SIMULATED_POSITION_BIAS": "0.2",
    "CJ_WATCHDOG_INTERVAL_S": "1",
    "CJ_RECOVERY_INTERVAL_S": "1",
    "ANTHROPIC_API_KEY": "",  # a real provider without a key, whatever the caller's shell has
}


@dataclass
class MeshHandle:
    run_dir: Path
    env: dict[str, str]  # CONTENT_ADDR, LLM_PROVIDER_ADDR, CJ_ADDR, NATS_URL, ...
    namespace: str
    databases: list[str]


def private_specs(tag: str) -> tuple[ServiceSpec, ...]:
    return tuple(
        replace(spec, grpc_port=free_port(), metrics_port=free_port(),
                database=f"{spec.database}_{tag}" if spec.database else None)
        for spec in SERVICES
    )


@contextmanager
def running_mesh(
    run_dir: Path, *, extra_env: Mapping[str, str] | None = None
) -> Iterator[MeshHandle]:
    """Start infra (found or from wheels) and the three services; stop and clean up after."""
    tag = unique_name("cli").split("_", 1)[1]
    namespace = f"cli{tag}"
    specs = private_specs(tag)
    env = {**os.environ, **FAST_ENV, "NATS_NAMESPACE": namespace, **(extra_env or {})}
    started = _up(run_dir, specs=specs, env=env)
    mesh = MeshHandle(run_dir, {**started.env, "NATS_NAMESPACE": namespace}, namespace,
                    [s.database for s in specs if s.database])
    try:
        yield mesh
    finally:
        mesh_mod.down(run_dir, say=lambda _line: None)
        _cleanup(started.infra.database_url, started.infra.nats_url, mesh)


def _up(run_dir: Path, *, specs: tuple[ServiceSpec, ...], env: dict[str, str]) -> mesh_mod.Mesh:
    """mesh.up, but client addresses come from `specs` (up() derives them from the defaults)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    replicas = {s.name: 1 for s in specs}
    infra = start_infra(env, run_dir=run_dir)
    mesh = mesh_mod.Mesh(infra=infra, env={})
    mesh_mod.save(run_dir, mesh)
    try:
        databases = mesh_mod.ensure_databases(infra.database_url, specs)
        mesh.env = mesh_env(nats_url=infra.nats_url, database_urls=databases,
                            replicas=replicas, specs=specs)
        mesh_mod._start_services(run_dir, mesh, base_env=env, replicas=replicas,
                                 say=lambda _line: None, specs=specs)
    except BaseException:
        mesh_mod.down(run_dir, say=lambda _line: None)
        raise
    return mesh


def _cleanup(admin_url: str, nats_url: str, mesh: MeshHandle) -> None:
    for name in mesh.databases:
        with contextlib.suppress(Exception):
            run_sync(lambda name=name: pg_infra.drop_database(admin_url, name))
    with contextlib.suppress(Exception):
        run_sync(lambda: _delete_streams(nats_url, mesh.namespace.upper() + "_"))


async def _delete_streams(nats_url: str, prefix: str) -> None:
    """The namespace's streams and its key-value buckets (streams named KV_<bucket>)."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for info in await js.streams_info():
            name = info.config.name or ""
            if name.startswith(prefix) or name.startswith("KV_" + prefix):
                await js.delete_stream(name)
    finally:
        await asyncio.wait_for(nc.close(), 5)
