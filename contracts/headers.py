"""NATS message headers and the protobuf event codec.

Every NATS payload is a protobuf message; `huleedu-schema` names its full type so a
subscriber can decode without knowing the subject, and `Nats-Msg-Id` lets JetStream dedupe.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from google.protobuf import symbol_database
from google.protobuf.message import DecodeError, Message

# Importing the generated modules registers their types for decode().
from contracts.huleedu.cj.v1 import cj_admin_pb2, cj_pb2  # noqa: F401
from contracts.huleedu.events.v1 import events_pb2  # noqa: F401
from contracts.huleedu.llm.v1 import llm_pb2  # noqa: F401

T = TypeVar("T", bound=Message)

MSG_ID = "Nats-Msg-Id"
CORRELATION_ID = "huleedu-correlation-id"
SCHEMA = "huleedu-schema"


class UndecodableMessage(ValueError):
    """A NATS message whose schema header or bytes do not decode; term() it and log."""


def encode(
    message: Message, *, msg_id: str, correlation_id: str = ""
) -> tuple[bytes, dict[str, str]]:
    """Serialize a message and build its headers."""
    if not msg_id:
        raise ValueError("msg_id is required for JetStream deduplication")
    headers = {MSG_ID: msg_id, SCHEMA: message.DESCRIPTOR.full_name}
    if correlation_id:
        headers[CORRELATION_ID] = correlation_id
    return message.SerializeToString(), headers


def decode(data: bytes, headers: Mapping[str, str] | None) -> Message:
    """Decode a payload by its `huleedu-schema` header."""
    schema = (headers or {}).get(SCHEMA, "")
    if not schema:
        raise UndecodableMessage("missing huleedu-schema header")
    try:
        cls = symbol_database.Default().GetSymbol(schema)
    except KeyError as exc:
        raise UndecodableMessage(f"unknown schema {schema!r}") from exc
    return parse(cls, data)


def decode_as(cls: type[T], data: bytes, headers: Mapping[str, str] | None) -> T:
    """Decode a payload that must be of type `cls` (checked against the schema header)."""
    schema = (headers or {}).get(SCHEMA, cls.DESCRIPTOR.full_name)
    if schema != cls.DESCRIPTOR.full_name:
        raise UndecodableMessage(f"expected {cls.DESCRIPTOR.full_name}, got {schema}")
    return parse(cls, data)


def parse(cls: type[T], data: bytes) -> T:
    message = cls()
    try:
        message.ParseFromString(data)
    except DecodeError as exc:
        raise UndecodableMessage(f"bad {cls.DESCRIPTOR.full_name} payload: {exc}") from exc
    return message
