"""Every RPC of the mesh, read from the generated descriptors in ``contracts``, and one way to
call any of them and see what a caller sees (status code, message, ErrorInfo).

Enumerating from the descriptors means a new service or RPC shows up here by itself; the
property tests fail until it has a request strategy (``rpcs.TEMPLATES``).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from dataclasses import dataclass, field

import grpc
from google.protobuf.message import Message

import contracts.huleedu
from contracts import errors
from tests.property.mesh import FuzzMesh
from tests.property.messages import message_class

RPC_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Method:
    service: str  # full name, e.g. huleedu.cj.v1.CJAdminService
    name: str
    input: type[Message]
    output: type[Message]

    @property
    def key(self) -> str:
        return f"{self.service.rsplit('.', 1)[-1]}/{self.name}"

    @property
    def path(self) -> str:
        return f"/{self.service}/{self.name}"


@dataclass(frozen=True)
class Outcome:
    code: str  # "OK" or the grpc.StatusCode name
    message: str = ""
    reason: str = ""
    details: dict[str, str] = field(default_factory=dict)
    response: Message | None = None

    @property
    def ok(self) -> bool:
        return self.code == "OK"

    def text(self) -> str:
        """Everything of the answer a caller can read as text (message and ErrorInfo)."""
        return " ".join([self.message, self.reason, *self.details.keys(), *self.details.values()])


def methods() -> list[Method]:
    """Every RPC of every service declared under contracts/huleedu."""
    found = []
    for module in _generated_modules():
        for service in module.DESCRIPTOR.services_by_name.values():
            found += [Method(service.full_name, m.name, message_class(m.input_type),
                             message_class(m.output_type)) for m in service.methods]
    return sorted(found, key=lambda m: m.key)


def _generated_modules() -> list:
    names = [m.name for m in pkgutil.walk_packages(contracts.huleedu.__path__,
                                                   prefix="contracts.huleedu.")
             if m.name.endswith("_pb2")]
    return [importlib.import_module(name) for name in names]


def by_key(key: str) -> Method:
    return next(m for m in methods() if m.key == key)


def invoke(mesh: FuzzMesh, method: Method, request: Message,
           metadata: Sequence[tuple[str, str]] = ()) -> Outcome:
    """Call ``method`` on the real server and return what the caller sees."""
    call = mesh.channels[method.service].unary_unary(
        method.path, request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=method.output.FromString)
    try:
        response = call(request, timeout=RPC_TIMEOUT_S, metadata=tuple(metadata))
    except grpc.RpcError as err:
        info = errors.error_info(err)
        return Outcome(err.code().name, err.details() or "", info.reason if info else "",
                       dict(info.metadata) if info else {})
    return Outcome("OK", response=response)


def must(mesh: FuzzMesh, method: Method, request: Message,
         metadata: Sequence[tuple[str, str]] = ()) -> Message:
    """The response of a call that has to succeed (building the world the fuzz runs in)."""
    outcome = invoke(mesh, method, request, metadata)
    if not outcome.ok or outcome.response is None:
        raise RuntimeError(f"{method.key} failed: {outcome.code} {outcome.message}")
    return outcome.response
