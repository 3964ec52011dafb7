"""The mesh's services as data: how to start each one and what environment it gets.

Environment contract (documented in deploy/local/README.md for the service authors).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

REPLICA_PORT_STEP = 10  # replica i listens on base + 10*i (grpc and metrics alike)
HOST = "127.0.0.1"
# What cj_service gives a submission without a judge in the local mesh (CJ_DEFAULT_JUDGE):
# simulated, priced like Claude Haiku 4.5 so costs show; its verdicts demonstrate the flow.
DEV_DEFAULT_JUDGE = "simulated/simulated-priced"


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # short name used in logs, mesh.json and --replicas
    module: str  # run as `python -m <module>`
    env_prefix: str  # <PREFIX>_GRPC_PORT, <PREFIX>_METRICS_PORT, <PREFIX>_DATABASE_URL
    grpc_port: int
    metrics_port: int
    database: str | None
    client_env: str  # variable other services read to find this one

    def available(self) -> bool:
        """False until the service's package (with a ``__main__``) exists in this checkout."""
        try:
            return importlib.util.find_spec(f"{self.module}.__main__") is not None
        except ImportError:  # the package itself is missing or does not import yet
            return False

    def ports(self, replica: int) -> tuple[int, int]:
        step = REPLICA_PORT_STEP * replica
        return self.grpc_port + step, self.metrics_port + step


# Start order matters: cj calls content and llm_provider.
SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("content", "content_service", "CONTENT", 50051, 9101, "huleedu_content",
                "CONTENT_ADDR"),
    ServiceSpec("llm_provider", "llm_provider", "LLM_PROVIDER", 50052, 9102, None,
                "LLM_PROVIDER_ADDR"),
    ServiceSpec("cj", "cj_service", "CJ", 50053, 9103, "huleedu_cj", "CJ_ADDR"),
)


def client_target(spec: ServiceSpec, replicas: int) -> str:
    """A gRPC target naming every replica (``ipv4:`` list form when there are several)."""
    addrs = [f"{HOST}:{spec.ports(i)[0]}" for i in range(replicas)]
    return addrs[0] if len(addrs) == 1 else "ipv4:" + ",".join(addrs)


def mesh_env(
    *, nats_url: str, database_urls: Mapping[str, str], replicas: Mapping[str, int],
    specs: Sequence[ServiceSpec] = SERVICES,
) -> dict[str, str]:
    """Variables every process of the mesh shares (and that a CLI needs to find it)."""
    env = {"NATS_URL": nats_url}
    for spec in specs:
        env[spec.client_env] = client_target(spec, replicas.get(spec.name, 1))
        if spec.name in database_urls:
            env[f"{spec.env_prefix}_DATABASE_URL"] = database_urls[spec.name]
    return env


def replica_env(spec: ServiceSpec, replica: int, shared: Mapping[str, str]) -> dict[str, str]:
    """The extra variables one replica of ``spec`` gets on top of ``shared``."""
    grpc_port, metrics_port = spec.ports(replica)
    env = dict(shared)
    env.update({
        f"{spec.env_prefix}_GRPC_HOST": HOST,
        f"{spec.env_prefix}_GRPC_PORT": str(grpc_port),
        f"{spec.env_prefix}_METRICS_PORT": str(metrics_port),
        "HULEEDU_INSTANCE_ID": f"{spec.name}-{replica}",
    })
    if spec.name == "cj":  # development: a submission without a judge gets the simulated one
        env.setdefault("CJ_DEFAULT_JUDGE", DEV_DEFAULT_JUDGE)
    own_db = shared.get(f"{spec.env_prefix}_DATABASE_URL")
    if own_db:
        env["DATABASE_URL"] = own_db
    return env
