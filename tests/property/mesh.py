"""The real mesh the property tests and `make fuzz` aim at, and what the harness needs to watch
it from sync code (hypothesis runs sync test functions).

The three services run as processes started by the deploy.local launcher through the CLI
tests' ``running_mesh`` (free ports, databases and a NATS namespace of their own, all removed
afterwards), on the machine's PostgreSQL and NATS. NATS and asyncpg work runs on a private
event loop thread (``Background``).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import grpc
import nats
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cj_service.auth import make_token
from contracts import channels
from contracts.streams import Namespace
from deploy.local import mesh as mesh_mod
from deploy.local.pg_infra import to_asyncpg
from deploy.local.procs import pid_alive
from tests.integration.cli.mesh_support import MeshHandle, running_mesh

T = TypeVar("T")
JWT = {"CJ_JWT_SECRET": "property-tests-secret-of-at-least-32-bytes",
       "CJ_JWT_ISSUER": "huleedu-property", "CJ_JWT_AUDIENCE": "huleedu-property-admin"}
FUZZ_ENV = {
    **JWT,
    # Comparisons stay in flight long enough for a forged result to reach cj before the real
    # one, and the canaries still finish in seconds.
    "LLM_PROVIDER_SIMULATED_LATENCY_MS": "300",
    "LOG_LEVEL": "WARNING",
}
ADDRESS_ENV = {channels.CONTENT_SERVICE: "CONTENT_ADDR",
               channels.LLM_PROVIDER_SERVICE: "LLM_PROVIDER_ADDR",
               channels.CJ_ASSESSMENT_SERVICE: "CJ_ADDR", channels.CJ_ADMIN_SERVICE: "CJ_ADDR"}
# Tables only an RPC writes (never a running batch), so their counts are the same before and
# after a refused call: the "a refused request writes nothing" check.
ROW_COUNTS = {
    "content": ("content_items", "put_requests"),
    "cj": ("batches", "batch_essays", "request_ids", "cj_admin_instructions",
           "cj_admin_anchors", "cj_admin_requests"),
}


class Background:
    """An event loop on its own thread; ``run`` waits for a coroutine from sync code."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.run(_cancel_the_rest())  # e.g. an ordered consumer's heartbeat checks
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


async def _cancel_the_rest() -> None:
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@dataclass
class FuzzMesh:
    handle: MeshHandle
    bg: Background
    nc: Any
    pools: dict[str, asyncpg.Pool]
    channels: dict[str, grpc.Channel]  # by service full name

    @property
    def ns(self) -> Namespace:
        return Namespace(self.handle.namespace)

    @property
    def max_payload(self) -> int:
        return int(self.nc.max_payload)

    def admin_token(self, **claims: Any) -> str:
        values: dict[str, Any] = {
            "signing_key": JWT["CJ_JWT_SECRET"], "algorithm": "HS256",
            "issuer": JWT["CJ_JWT_ISSUER"], "audience": JWT["CJ_JWT_AUDIENCE"],
            "subject": "property-tests", "roles": ("admin",), "ttl_seconds": 24 * 3600}
        return make_token(**{**values, **claims})

    def fetch(self, db: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        return self.bg.run(self.pools[db].fetch(sql, *args))

    def rows(self) -> dict[str, int]:
        """Row counts of every table only an RPC writes (see ROW_COUNTS)."""
        counts: dict[str, int] = {}
        for db, tables in ROW_COUNTS.items():
            sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM {t}) AS {t}" for t in tables)
            counts.update(dict(self.fetch(db, sql)[0]))
        return counts

    def publish(self, subject: str, data: bytes, headers: Mapping[str, str] | None) -> None:
        self.bg.run(self.nc.publish(subject, data, headers=dict(headers) if headers else None))

    def dead(self) -> list[str]:
        """Replicas whose process is gone (cheap: no call)."""
        return [_name(r) for r in self._replicas() if not pid_alive(r.pid)]

    def unhealthy(self, *, checks: int = 3) -> list[str]:
        """Replicas that died or answered no health check SERVING in ``checks`` tries a second
        apart (content reports NOT_SERVING for a moment when its database probe is slow)."""
        bad = self._replicas()
        for attempt in range(checks):
            if attempt:
                time.sleep(1.0)
            bad = [r for r in bad if not pid_alive(r.pid) or not _serving(r.grpc_addr)]
            if not bad:
                break
        return [_name(r) for r in bad]

    def _replicas(self) -> list[mesh_mod.Replica]:
        mesh = mesh_mod.load(self.handle.run_dir)
        return mesh.replicas if mesh else []

    def logs(self) -> Path:
        return self.handle.run_dir / "logs"


def _name(replica: mesh_mod.Replica) -> str:
    return f"{replica.service}[{replica.replica}]"


def _serving(address: str) -> bool:
    with grpc.insecure_channel(address) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=10)
        except grpc.RpcError:
            return False
    return reply.status == health_pb2.HealthCheckResponse.SERVING


async def _connect(handle: MeshHandle) -> tuple[Any, dict[str, asyncpg.Pool]]:
    nc = await nats.connect(handle.env["NATS_URL"].split(","), max_reconnect_attempts=-1)
    pools = {db: await asyncpg.create_pool(to_asyncpg(handle.env[f"{db.upper()}_DATABASE_URL"]),
                                           min_size=1, max_size=2)
             for db in ROW_COUNTS}
    return nc, pools


async def _close_pools(pools: Mapping[str, asyncpg.Pool]) -> None:
    for pool in pools.values():
        await pool.close()


async def _delete_buckets(nc: Any, ns: Namespace) -> None:
    """KV buckets are streams (KV_<bucket>) that running_mesh does not know to delete; done
    once the services are stopped, so none of them writes to a bucket again."""
    js = nc.jetstream()
    for info in await js.streams_info():
        if info.config.name.startswith(f"KV_{ns.name('')}"):
            await js.delete_stream(info.config.name)
    await nc.close()


@contextmanager
def fuzz_mesh(run_dir: Path, env: Mapping[str, str]) -> Iterator[FuzzMesh]:
    """The three services as processes on the NATS_URL / DATABASE_URL in ``env``, connected
    to; everything stopped and removed afterwards."""
    bg = Background()
    try:
        with running_mesh(run_dir, extra_env={**FUZZ_ENV, **env}) as handle:
            nc, pools = bg.run(_connect(handle))
            stubs = {name: grpc.insecure_channel(handle.env[variable],
                                                 options=channels.channel_options([name]))
                     for name, variable in ADDRESS_ENV.items()}
            mesh = FuzzMesh(handle, bg, nc, pools, stubs)
            try:
                yield mesh
            finally:
                for channel in stubs.values():
                    channel.close()
                bg.run(_close_pools(pools))
        bg.run(_delete_buckets(nc, mesh.ns))
    finally:
        bg.close()
