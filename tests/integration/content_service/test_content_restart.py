"""A restart of the service between Put and Get loses nothing, not even request ids."""

from __future__ import annotations

import grpc
import pytest

from contracts.huleedu.content.v1 import content_pb2 as pb
from contracts.huleedu.content.v1.content_service_pb2_grpc import ContentServiceStub
from tests.fixtures import unique_name
from tests.integration.content_service.content_helpers import essay_bytes, put

pytestmark = pytest.mark.integration


async def test_content_put_before_a_restart_is_served_after_it(content_config, start_content):
    config = content_config()
    data, request_id = essay_bytes(), unique_name("r")
    first = await start_content(config)
    async with grpc.aio.insecure_channel(first.address) as channel:
        stored = await put(ContentServiceStub(channel), data, request_id=request_id)
    await first.stop(grace=1)

    second = await start_content(config)
    async with grpc.aio.insecure_channel(second.address) as channel:
        stub = ContentServiceStub(channel)
        got = await stub.GetContent(pb.GetContentRequest(content_id=stored.metadata.content_id))
        replay = await put(stub, data, request_id=request_id)
        again = await put(stub, data)

    assert got.item.content == data and got.item.metadata == stored.metadata
    assert replay == stored
    assert again.created is False and again.metadata == stored.metadata
