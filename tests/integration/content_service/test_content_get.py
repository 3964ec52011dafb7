"""GetContent: returns the stored bytes with their metadata, or a reasoned refusal."""

from __future__ import annotations

import grpc
import pytest

from contracts.errors import reason_of
from contracts.huleedu.content.v1 import content_pb2 as pb
from tests.integration.content_service.content_helpers import essay_bytes, put, rpc_error

pytestmark = pytest.mark.integration


async def test_stored_content_comes_back_byte_for_byte(content_stub):
    data = essay_bytes()
    stored = await put(content_stub, data, content_type="text/markdown; charset=utf-8")

    answer = await content_stub.GetContent(
        pb.GetContentRequest(content_id=stored.metadata.content_id)
    )

    assert answer.item.content == data
    assert answer.item.metadata == stored.metadata


async def test_asking_twice_gives_the_same_answer(content_stub):
    stored = await put(content_stub, essay_bytes())
    request = pb.GetContentRequest(content_id=stored.metadata.content_id)

    assert await content_stub.GetContent(request) == await content_stub.GetContent(request)


async def test_an_unknown_id_is_not_found(content_stub):
    err = await rpc_error(content_stub.GetContent(pb.GetContentRequest(content_id="0" * 64)))

    assert err.code() == grpc.StatusCode.NOT_FOUND
    assert reason_of(err) == "CONTENT_NOT_FOUND"


@pytest.mark.parametrize("bad_id", ["", "abc", "A" * 64, "g" * 64, "0" * 65])
async def test_a_malformed_id_is_refused(content_stub, bad_id):
    err = await rpc_error(content_stub.GetContent(pb.GetContentRequest(content_id=bad_id)))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason_of(err) == "INVALID_CONTENT_ID"
