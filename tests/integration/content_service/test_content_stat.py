"""StatContent: metadata without the bytes."""

from __future__ import annotations

import grpc
import pytest

from contracts.errors import reason_of
from contracts.huleedu.content.v1 import content_pb2 as pb
from tests.integration.content_service.content_helpers import essay_bytes, put, rpc_error

pytestmark = pytest.mark.integration


async def test_stat_describes_stored_content(content_stub):
    stored = await put(content_stub, essay_bytes(3000), content_type="text/plain")

    answer = await content_stub.StatContent(
        pb.StatContentRequest(content_id=stored.metadata.content_id)
    )

    assert answer.metadata == stored.metadata
    assert answer.metadata.size_bytes == 3000
    assert answer.metadata.content_type == "text/plain"


async def test_stat_twice_gives_the_same_answer(content_stub):
    stored = await put(content_stub, essay_bytes())
    request = pb.StatContentRequest(content_id=stored.metadata.content_id)

    assert await content_stub.StatContent(request) == await content_stub.StatContent(request)


async def test_stat_of_an_unknown_id_is_not_found(content_stub):
    err = await rpc_error(content_stub.StatContent(pb.StatContentRequest(content_id="f" * 64)))

    assert err.code() == grpc.StatusCode.NOT_FOUND
    assert reason_of(err) == "CONTENT_NOT_FOUND"


async def test_stat_of_a_malformed_id_is_refused(content_stub):
    err = await rpc_error(content_stub.StatContent(pb.StatContentRequest(content_id="nope")))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason_of(err) == "INVALID_CONTENT_ID"
