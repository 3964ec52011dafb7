"""`huleedu models` (the manifest with prices) and `huleedu status` (health of each service)."""

from __future__ import annotations

from typing import Annotated

import grpc
import typer
from grpc_health.v1 import health_pb2, health_pb2_grpc
from rich.table import Table

from cli import rpc
from cli.commands.common import addresses, guarded, out
from cli.errors import EXIT_UNREACHABLE, CliError
from contracts.huleedu.llm.v1 import llm_pb2

STATUS_TIMEOUT_S = 3.0


@guarded
def models(
    ctx: typer.Context,
    provider: Annotated[str, typer.Option(help="only this provider")] = "",
    deprecated: Annotated[bool, typer.Option(
        "--deprecated", help="include deprecated models")] = False,
) -> None:
    """List the judge models llm_provider offers, with prices per million tokens."""
    request = llm_pb2.ListModelsRequest(provider=provider, include_deprecated=deprecated)
    with rpc.llm(addresses(ctx)) as llm:
        found = llm.call("ListModels", request).models
    table = Table(title="Model manifest (USD per million tokens)", title_justify="left")
    for name in ("judge", "name", "context", "in $", "out $", "cache read $", "capabilities"):
        table.add_column(name)
    for m in sorted(found, key=lambda m: (m.provider, m.model_id)):
        table.add_row(f"{m.provider}/{m.model_id}" + (" (deprecated)" if m.deprecated else ""),
                      m.display_name, f"{m.context_window:,}", f"{m.input_price_per_mtok:g}",
                      f"{m.output_price_per_mtok:g}", f"{m.cache_read_price_per_mtok:g}",
                      ", ".join(m.capabilities))
    out().print(table)


def health_of(address: str, service: str = "") -> str:
    """SERVING / NOT_SERVING / ... or `unreachable`."""
    with rpc.open_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service),
                               timeout=STATUS_TIMEOUT_S)
        except grpc.RpcError as exc:
            return "unreachable" if exc.code() in (grpc.StatusCode.UNAVAILABLE,
                                                   grpc.StatusCode.DEADLINE_EXCEEDED) \
                else exc.code().name
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


@guarded
def status(ctx: typer.Context) -> None:
    """gRPC health of content, llm_provider and cj; non-zero exit when one is not serving."""
    table = Table(title="Mesh health", title_justify="left")
    for name in ("service", "address", "health"):
        table.add_column(name)
    states = []
    for name, address in addresses(ctx).items():
        state = health_of(address)
        states.append(state)
        table.add_row(name, address, state, style="green" if state == "SERVING" else "red")
    out().print(table)
    if any(s != "SERVING" for s in states):
        raise CliError("not every service is serving (start the mesh with `make up`)",
                       EXIT_UNREACHABLE)
