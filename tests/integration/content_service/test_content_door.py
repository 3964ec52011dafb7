"""Hard edges over real gRPC: NUL in every caller string, 1 MB ids, blank text, sizes.

Every refusal must be INVALID_ARGUMENT (or RESOURCE_EXHAUSTED for a size), never UNKNOWN or
INTERNAL with SQL text, must echo the value clipped, and must write nothing.
"""

from __future__ import annotations

import hashlib

import asyncpg
import grpc
import pytest

from contracts.errors import error_info, reason_of
from contracts.huleedu.content.v1 import content_pb2 as pb
from contracts.huleedu.content.v1.content_service_pb2_grpc import ContentServiceStub
from deploy.local.pg_infra import to_asyncpg
from tests.fixtures import unique_name
from tests.integration.content_service.content_helpers import essay_bytes, put, rpc_error

pytestmark = pytest.mark.integration

HEX_ID = "ab" * 32
MEGABYTE = 1024 * 1024


def _with_nul(value: str, where: str) -> str:
    """``value`` with a NUL at its start, in its middle or at its end."""
    at = {"start": 0, "middle": len(value) // 2, "end": len(value)}[where]
    return value[:at] + "\x00" + value[at:]


def _put_cases(where: str, request_id: str, data: bytes) -> dict[str, pb.PutContentRequest]:
    essay = data.decode()
    return {
        "request_id": pb.PutContentRequest(request_id=_with_nul(request_id, where), content=data),
        "content_type": pb.PutContentRequest(
            request_id=request_id, content=data, content_type=_with_nul("text/plain", where)
        ),
        "content": pb.PutContentRequest(
            request_id=request_id, content=_with_nul(essay, where).encode()
        ),
    }


async def _nothing_stored(db, request_id: str, data: bytes) -> None:
    variants = [data, *(_with_nul(data.decode(), w).encode() for w in ("start", "middle", "end"))]
    digests = [hashlib.sha256(v).hexdigest() for v in variants]
    stored = await db.fetchval(
        "SELECT count(*) FROM content_items WHERE content_id = ANY($1::text[])", digests
    )
    bound = await db.fetchval(
        "SELECT count(*) FROM put_requests WHERE request_id = $1 OR content_id = ANY($2::text[])",
        request_id, digests,
    )
    assert (stored, bound) == (0, 0)


@pytest.mark.parametrize("where", ["start", "middle", "end"])
@pytest.mark.parametrize("field", ["request_id", "content_type", "content"])
async def test_a_nul_in_any_put_field_is_invalid_and_writes_nothing(content_stub, db, field,
                                                                    where):
    request_id, data = unique_name("r"), essay_bytes(256)

    err = await rpc_error(content_stub.PutContent(_put_cases(where, request_id, data)[field]))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err.details()
    assert error_info(err).metadata["field"] == field
    assert "SELECT" not in err.details() and "INSERT" not in err.details()
    await _nothing_stored(db, request_id, data)


@pytest.mark.parametrize("where", ["start", "middle", "end"])
@pytest.mark.parametrize("rpc", ["GetContent", "StatContent", "BatchGetContent"])
async def test_a_nul_in_any_content_id_is_invalid(content_stub, rpc, where):
    bad = _with_nul(HEX_ID, where)

    err = await rpc_error(_read(content_stub, rpc, bad))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err.details()
    assert reason_of(err) == "INVALID_CONTENT_ID"


def _read(stub, rpc: str, content_id: str):
    if rpc == "BatchGetContent":
        return stub.BatchGetContent(pb.BatchGetContentRequest(content_ids=[HEX_ID, content_id]))
    request = getattr(pb, f"{rpc}Request")(content_id=content_id)
    return getattr(stub, rpc)(request)


@pytest.mark.parametrize("rpc", ["GetContent", "StatContent", "BatchGetContent"])
async def test_a_one_megabyte_id_is_refused_with_a_short_trailer(content_stub, rpc):
    err = await rpc_error(_read(content_stub, rpc, "0" * MEGABYTE))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err.details()[:200]
    assert reason_of(err) == "INVALID_CONTENT_ID"
    assert len(err.details()) < 300
    assert all(len(v) < 120 for v in error_info(err).metadata.values())


@pytest.mark.parametrize("rpc", ["GetContent", "StatContent", "BatchGetContent"])
async def test_an_id_with_a_trailing_newline_is_not_a_content_id(content_stub, rpc):
    err = await rpc_error(_read(content_stub, rpc, HEX_ID + "\n"))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason_of(err) == "INVALID_CONTENT_ID"


async def test_an_unknown_id_is_echoed_in_the_not_found_trailer(content_stub):
    err = await rpc_error(content_stub.GetContent(pb.GetContentRequest(content_id=HEX_ID)))

    assert err.code() == grpc.StatusCode.NOT_FOUND
    assert error_info(err).metadata["content_id"] == HEX_ID


@pytest.mark.parametrize(("field", "value"), [
    ("request_id", "r" * MEGABYTE), ("content_type", "text/" + "x" * MEGABYTE),
])
async def test_a_one_megabyte_caller_string_is_too_large_and_writes_nothing(content_stub, db,
                                                                           field, value):
    data = essay_bytes(256)

    err = await rpc_error(put(content_stub, data, **{field: value}))

    assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert reason_of(err) == "CONTENT_TOO_LARGE"
    assert dict(error_info(err).metadata) == {
        "field": field, "limit": "128" if field == "request_id" else "255",
        "value": f"{len(value)} bytes",
    }
    stored = await db.fetchval("SELECT count(*) FROM content_items WHERE content_id = $1",
                               hashlib.sha256(data).hexdigest())
    assert stored == 0


@pytest.mark.parametrize("blank", ["\u200b" * 40, " \n\t\r\n", "\u3164\u00a0\ufeff"])
async def test_text_without_a_visible_character_is_empty(content_stub, blank):
    err = await rpc_error(put(content_stub, blank.encode()))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason_of(err) == "CONTENT_EMPTY"


async def test_a_control_character_in_text_is_refused_at_its_byte_offset(content_stub):
    err = await rpc_error(put(content_stub, "Åsa\x1b[31m".encode(), content_type="text/markdown"))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason_of(err) == "INVALID_ARGUMENT"
    assert dict(error_info(err).metadata) == {"field": "content", "offset": "4", "value": "U+001B"}


async def test_binary_content_may_hold_nul_and_comes_back_byte_for_byte(content_stub):
    data = b"\x00\x1b" + essay_bytes(64) + b"\x00"

    stored = await put(content_stub, data, content_type="application/octet-stream")
    again = await put(content_stub, data, content_type="application/octet-stream")
    answer = await content_stub.GetContent(
        pb.GetContentRequest(content_id=stored.metadata.content_id)
    )

    assert answer.item.content == data
    assert (stored.created, again.created) == (True, False)


async def test_a_database_error_reaches_the_caller_as_internal_without_its_sql(
    fresh_database, content_config, start_content
):
    url = fresh_database()
    app = await start_content(content_config(database_url=url))
    conn = await asyncpg.connect(to_asyncpg(url))
    try:
        await conn.execute("DROP TABLE put_requests")  # a bug-like failure, not an outage
    finally:
        await conn.close()
    async with grpc.aio.insecure_channel(app.address) as channel:
        err = await rpc_error(put(ContentServiceStub(channel), essay_bytes(), request_id="r1"))

    assert err.code() == grpc.StatusCode.INTERNAL
    assert err.details().startswith("internal error (incident ")
    assert "put_requests" not in err.details() and "relation" not in err.details()
