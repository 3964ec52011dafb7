"""PutContent: stores bytes under their sha256, dedupes, replays request ids, refuses bad input."""

from __future__ import annotations

import asyncio
import hashlib

import grpc
import pytest

from content_service.domain.content import Limits
from contracts.errors import error_info, reason_of
from contracts.huleedu.content.v1.content_service_pb2_grpc import ContentServiceStub
from tests.fixtures import unique_name
from tests.integration.content_service.content_helpers import essay_bytes, put, rpc_error

pytestmark = pytest.mark.integration


async def test_new_bytes_are_stored_under_their_sha256(content_stub, db):
    data = essay_bytes()

    answer = await put(content_stub, data, request_id=unique_name("r"))

    digest = hashlib.sha256(data).hexdigest()
    assert answer.created is True
    assert answer.metadata.content_id == digest == answer.metadata.sha256
    assert answer.metadata.size_bytes == len(data)
    assert answer.metadata.content_type == "text/plain; charset=utf-8"
    assert answer.metadata.created_at.seconds > 0
    stored = await db.fetchval("SELECT content FROM content_items WHERE content_id = $1", digest)
    assert stored == data


async def test_the_same_bytes_twice_get_the_same_id_and_one_row(content_stub, db):
    data = essay_bytes()

    first = await put(content_stub, data)
    second = await put(content_stub, data, content_type="text/markdown")

    assert second.metadata.content_id == first.metadata.content_id
    assert (first.created, second.created) == (True, False)
    assert second.metadata == first.metadata  # the first upload's type and time stand
    rows = await db.fetchval(
        "SELECT count(*) FROM content_items WHERE content_id = $1", first.metadata.content_id
    )
    assert rows == 1


async def test_a_retried_request_id_gets_the_original_answer(content_stub):
    data, request_id = essay_bytes(), unique_name("r")

    first = await put(content_stub, data, request_id=request_id)
    retry = await put(content_stub, data, request_id=request_id)

    assert first.created is True
    assert retry == first


async def test_a_request_id_reused_for_other_bytes_is_refused(content_stub):
    request_id = unique_name("r")
    await put(content_stub, essay_bytes(), request_id=request_id)

    err = await rpc_error(put(content_stub, essay_bytes(), request_id=request_id))

    assert err.code() == grpc.StatusCode.ALREADY_EXISTS
    assert reason_of(err) == "REQUEST_ID_CONFLICT"


async def test_a_burst_of_200_identical_puts_all_succeed_and_store_one_row(content_stub, db):
    data = essay_bytes()

    answers = await asyncio.gather(
        *(put(content_stub, data, request_id=unique_name("r")) for _ in range(200))
    )

    assert {a.metadata.content_id for a in answers} == {hashlib.sha256(data).hexdigest()}
    assert sum(a.created for a in answers) == 1
    rows = await db.fetchval(
        "SELECT count(*) FROM content_items WHERE content_id = $1", answers[0].metadata.content_id
    )
    assert rows == 1


async def test_concurrent_retries_of_one_request_id_all_get_the_same_answer(content_stub, db):
    data, request_id = essay_bytes(), unique_name("r")

    answers = await asyncio.gather(
        *(put(content_stub, data, request_id=request_id) for _ in range(20))
    )

    assert all(a == answers[0] for a in answers)
    assert answers[0].created is True
    bound = await db.fetchval(
        "SELECT count(*) FROM put_requests WHERE request_id = $1", request_id
    )
    assert bound == 1


async def test_empty_content_is_refused(content_stub):
    err = await rpc_error(put(content_stub, b""))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason_of(err) == "CONTENT_EMPTY"


async def test_content_over_the_configured_limit_is_refused(content_config, start_content):
    app = await start_content(content_config(limits=Limits(max_content_bytes=1024)))
    async with grpc.aio.insecure_channel(app.address) as channel:
        stub = ContentServiceStub(channel)
        at_limit = await put(stub, essay_bytes(1024))
        err = await rpc_error(put(stub, essay_bytes(1025)))

    assert at_limit.metadata.size_bytes == 1024
    assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert reason_of(err) == "CONTENT_TOO_LARGE"
    assert dict(error_info(err).metadata) == {
        "field": "content", "limit": "1024", "value": "1025 bytes"
    }


async def test_a_default_sized_upload_over_one_mebibyte_is_refused_with_a_reason(content_stub):
    err = await rpc_error(put(content_stub, b"a" * (1024 * 1024 + 1)))

    assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert reason_of(err) == "CONTENT_TOO_LARGE"


async def test_declared_text_that_is_not_utf8_is_refused(content_stub):
    err = await rpc_error(put(content_stub, b"caf\xe9", content_type="text/plain"))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason_of(err) == "CONTENT_NOT_UTF8"


async def test_binary_content_types_may_hold_any_bytes(content_stub):
    data = b"\xff\xfe" + essay_bytes(64)

    answer = await put(content_stub, data, content_type="application/pdf")

    assert answer.metadata.content_type == "application/pdf"
    assert answer.metadata.size_bytes == len(data)


async def test_an_overlong_request_id_is_too_large(content_stub):
    err = await rpc_error(put(content_stub, essay_bytes(), request_id="r" * 129))

    assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert reason_of(err) == "CONTENT_TOO_LARGE"
