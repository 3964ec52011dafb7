"""Synchronous gRPC clients for the CLI, with every failure turned into a CliError.

A CLI makes a handful of calls and waits on each, so the blocking API keeps the commands
plain functions; the channel options (retry UNAVAILABLE on these idempotent services) are the
mesh's own from contracts.channels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import grpc

from cli.errors import from_rpc
from cli.settings import CALL_TIMEOUT_S, Addresses
from contracts import channels
from contracts.huleedu.cj.v1 import cj_service_pb2_grpc
from contracts.huleedu.content.v1 import content_service_pb2_grpc
from contracts.huleedu.llm.v1 import llm_service_pb2_grpc

T = TypeVar("T")


class Client(AbstractContextManager["Client"]):
    """One service's stub plus the name and address used in error messages."""

    def __init__(
        self, *, service: str, address: str, stub_type: type, grpc_services: Sequence[str],
        metadata: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.service = service
        self.address = address
        options = channels.channel_options(grpc_services)
        self._channel = grpc.insecure_channel(address, options=options)
        self.stub = stub_type(self._channel)
        self._metadata = tuple(metadata)

    def call(self, method: str, request: Any, *, timeout: float = CALL_TIMEOUT_S) -> Any:
        """`stub.<method>(request)`; a failure becomes a CliError naming this service."""
        fn: Callable[..., Any] = getattr(self.stub, method)
        try:
            return fn(request, timeout=timeout, metadata=self._metadata or None)
        except grpc.RpcError as err:
            raise from_rpc(err, service=self.service, address=self.address) from None

    @property
    def channel(self) -> grpc.Channel:
        return self._channel

    def close(self) -> None:
        self._channel.close()

    def __exit__(self, *exc: object) -> None:
        self.close()


def content(addresses: Addresses) -> Client:
    return Client(service="content service", address=addresses.content,
                  stub_type=content_service_pb2_grpc.ContentServiceStub,
                  grpc_services=[channels.CONTENT_SERVICE])


def llm(addresses: Addresses) -> Client:
    return Client(service="llm_provider", address=addresses.llm_provider,
                  stub_type=llm_service_pb2_grpc.LLMProviderServiceStub,
                  grpc_services=[channels.LLM_PROVIDER_SERVICE])


def cj(addresses: Addresses) -> Client:
    return Client(service="cj service", address=addresses.cj,
                  stub_type=cj_service_pb2_grpc.CJAssessmentServiceStub,
                  grpc_services=[channels.CJ_ASSESSMENT_SERVICE])


def cj_admin(addresses: Addresses, *, token: str) -> Client:
    return Client(service="cj admin", address=addresses.cj,
                  stub_type=cj_service_pb2_grpc.CJAdminServiceStub,
                  grpc_services=[channels.CJ_ADMIN_SERVICE],
                  metadata=[("authorization", f"Bearer {token}")])
