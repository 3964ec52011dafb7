"""Rich gRPC errors: a canonical code plus one `google.rpc.ErrorInfo` (reason + domain).

Servers call `abort(context, ...)`; clients read the reason back with `error_info(err)`.
Reasons are the names of `huleedu.common.v1.ErrorReason` without the `ERROR_REASON_` prefix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NoReturn

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from contracts.huleedu.common.v1 import common_pb2

_PREFIX = "ERROR_REASON_"
REASONS: frozenset[str] = frozenset(
    name.removeprefix(_PREFIX)
    for name in common_pb2.ErrorReason.keys()  # noqa: SIM118 (enum wrapper, not a dict)
    if name != "ERROR_REASON_UNSPECIFIED"
)


@dataclass(eq=False)
class ServiceError(Exception):
    """A domain/service failure that an entrypoint turns into a rich gRPC status.

    Not frozen: Python sets __traceback__/__context__ on exceptions that pass through
    context managers, which a frozen dataclass would refuse.
    """

    code: grpc.StatusCode
    reason: str
    message: str
    metadata: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.reason not in REASONS:
            raise ValueError(f"unknown error reason {self.reason!r}")

    def __str__(self) -> str:
        return f"{self.code.name} {self.reason}: {self.message}"


def to_status(error: ServiceError, *, domain: str) -> grpc.Status:
    """Build a grpc.Status carrying a google.rpc.Status with one ErrorInfo."""
    info = error_details_pb2.ErrorInfo(
        reason=error.reason, domain=domain, metadata=dict(error.metadata)
    )
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(code=error.code.value[0], message=error.message, details=[detail])
    return rpc_status.to_status(status)


async def abort(context: grpc.aio.ServicerContext, error: ServiceError, *, domain: str) -> NoReturn:
    """Abort an aio RPC with the rich status of `error`."""
    await context.abort_with_status(to_status(error, domain=domain))
    raise AssertionError("abort_with_status returned")  # pragma: no cover


def error_info(err: grpc.RpcError) -> error_details_pb2.ErrorInfo | None:
    """Return the ErrorInfo of a failed call, or None when it carries none."""
    status = rpc_status.from_call(err)  # type: ignore[arg-type]
    if status is None:
        return None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    return None


def reason_of(err: grpc.RpcError) -> str:
    """The ErrorInfo reason of a failed call, or '' when it carries none."""
    info = error_info(err)
    return info.reason if info else ""


def invalid_argument(reason: str, message: str, **metadata: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.INVALID_ARGUMENT, reason, message, metadata)


def not_found(reason: str, message: str, **metadata: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.NOT_FOUND, reason, message, metadata)


def failed_precondition(reason: str, message: str, **metadata: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.FAILED_PRECONDITION, reason, message, metadata)


def unavailable(reason: str, message: str, **metadata: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.UNAVAILABLE, reason, message, metadata)


def resource_exhausted(reason: str, message: str, **metadata: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.RESOURCE_EXHAUSTED, reason, message, metadata)


# code_pb2 is re-exported so callers can compare google.rpc codes without another import.
__all__ = [
    "REASONS",
    "ServiceError",
    "abort",
    "code_pb2",
    "error_info",
    "failed_precondition",
    "invalid_argument",
    "not_found",
    "reason_of",
    "resource_exhausted",
    "to_status",
    "unavailable",
]
