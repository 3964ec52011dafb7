"""Synchronous gRPC clients for the CLI, with every failure turned into a CliError.

A CLI makes a handful of calls and waits on each, so the blocking API keeps the commands
plain functions; the channel options (retry UNAVAILABLE on these idempotent services) are the
mesh's own from contracts.channels. TLS comes from the same HULEEDU_TLS_* variables the services
read (contracts.tls): a CA to trust, and a client certificate where the mesh demands mTLS.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import grpc

from cli.errors import bad_input, from_rpc
from cli.settings import CALL_TIMEOUT_S, Addresses
from contracts import channels
from contracts.huleedu.cj.v1 import cj_service_pb2_grpc
from contracts.huleedu.content.v1 import content_service_pb2_grpc
from contracts.huleedu.llm.v1 import llm_service_pb2_grpc
from contracts.tls import TlsConfig, channel_credentials

T = TypeVar("T")


def tls_from_env() -> TlsConfig:
    """The caller's TLS settings; a bad path is the user's to fix, not a traceback."""
    try:
        return TlsConfig.from_env(os.environ)
    except ValueError as exc:
        raise bad_input(f"TLS settings (HULEEDU_TLS_*): {exc}") from None


def open_channel(address: str, options: Sequence[tuple[str, object]] = ()) -> grpc.Channel:
    """A blocking channel: TLS (mTLS with a client certificate) when configured, else plain."""
    tls = tls_from_env()
    if not tls.enabled:
        return grpc.insecure_channel(address, options=options)
    return grpc.secure_channel(address, channel_credentials(tls), options=options)


class Client(AbstractContextManager["Client"]):
    """One service's stub plus the name and address used in error messages."""

    def __init__(
        self, *, service: str, address: str, stub_type: type, grpc_services: Sequence[str],
        metadata: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.service = service
        self.address = address
        self._channel = open_channel(address, channels.channel_options(grpc_services))
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
