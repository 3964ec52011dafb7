"""BatchGetContent: many items in one call, missing ids named instead of failing the call."""

from __future__ import annotations

import grpc
import pytest

from content_service.domain.content import Limits
from contracts.errors import error_info, reason_of
from contracts.huleedu.content.v1 import content_pb2 as pb
from contracts.huleedu.content.v1.content_service_pb2_grpc import ContentServiceStub
from tests.integration.content_service.content_helpers import essay_bytes, put, rpc_error

pytestmark = pytest.mark.integration


async def _store(stub, count: int, size: int = 2048) -> dict[str, bytes]:
    stored = {}
    for _ in range(count):
        data = essay_bytes(size)
        stored[(await put(stub, data)).metadata.content_id] = data
    return stored


async def test_found_items_come_back_in_request_order_and_missing_ids_are_named(content_stub):
    stored = await _store(content_stub, 3)
    a, b, c = stored
    ghost_1, ghost_2 = "1" * 64, "2" * 64

    answer = await content_stub.BatchGetContent(
        pb.BatchGetContentRequest(content_ids=[c, ghost_1, a, b, ghost_2])
    )

    assert [i.metadata.content_id for i in answer.items] == [c, a, b]
    assert [i.content for i in answer.items] == [stored[c], stored[a], stored[b]]
    assert list(answer.missing_ids) == [ghost_1, ghost_2]


async def test_two_hundred_essays_come_back_in_one_call(content_stub):
    stored = await _store(content_stub, 200)

    answer = await content_stub.BatchGetContent(pb.BatchGetContentRequest(content_ids=stored))

    assert {i.metadata.content_id: i.content for i in answer.items} == stored
    assert list(answer.missing_ids) == []


async def test_duplicate_ids_are_answered_once(content_stub):
    (only,) = await _store(content_stub, 1)
    ghost = "3" * 64

    answer = await content_stub.BatchGetContent(
        pb.BatchGetContentRequest(content_ids=[only, ghost, only, ghost])
    )

    assert [i.metadata.content_id for i in answer.items] == [only]
    assert list(answer.missing_ids) == [ghost]


async def test_a_request_without_ids_is_refused(content_stub):
    err = await rpc_error(content_stub.BatchGetContent(pb.BatchGetContentRequest()))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason_of(err) == "INVALID_ARGUMENT"
    assert error_info(err).metadata["field"] == "content_ids"


async def test_one_malformed_id_refuses_the_call(content_stub):
    (good,) = await _store(content_stub, 1)

    err = await rpc_error(
        content_stub.BatchGetContent(pb.BatchGetContentRequest(content_ids=[good, "bad"]))
    )

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason_of(err) == "INVALID_CONTENT_ID"


async def test_too_many_ids_or_too_many_bytes_are_refused(content_config, start_content):
    limits = Limits(max_content_bytes=2048, max_batch_ids=3, max_batch_bytes=4096)
    app = await start_content(content_config(limits=limits))
    async with grpc.aio.insecure_channel(app.address) as channel:
        stub = ContentServiceStub(channel)
        ids = list(await _store(stub, 3))
        too_many = await rpc_error(
            stub.BatchGetContent(pb.BatchGetContentRequest(content_ids=[*ids, "4" * 64]))
        )
        too_big = await rpc_error(stub.BatchGetContent(pb.BatchGetContentRequest(content_ids=ids)))
        fits = await stub.BatchGetContent(pb.BatchGetContentRequest(content_ids=ids[:2]))

    assert (too_many.code(), reason_of(too_many)) == (
        grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT"
    )
    assert (too_big.code(), reason_of(too_big)) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED, "CONTENT_TOO_LARGE"
    )
    assert dict(error_info(too_big).metadata) == {
        "field": "content_ids", "limit": "4096", "value": "6144 bytes"
    }
    assert len(fits.items) == 2
