"""Property: whatever a caller sends to any ContentService RPC, the answer is a documented code.

Hypothesis drives a plain (blocking) gRPC client from a worker thread while the real service
runs on the test's event loop against real PostgreSQL.
"""

from __future__ import annotations

import asyncio

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.errors import error_info
from contracts.huleedu.content.v1 import content_pb2 as pb
from contracts.huleedu.content.v1.content_service_pb2_grpc import ContentServiceStub

pytestmark = pytest.mark.integration

TRANSPORT_LIMIT = 4 * 1024 * 1024  # the server's max_receive_message_length by default

DOCUMENTED = {
    grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.NOT_FOUND, grpc.StatusCode.ALREADY_EXISTS,
}

_strings = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(max_codepoint=0x20), max_size=8),
    st.builds(lambda c, n: c * n, st.sampled_from(["0", "a", "\x00", "é", "\u200b", " "]),
              st.sampled_from([1, 63, 64, 65, 129, 256, 1024 * 1024])),
)
_types = st.one_of(_strings, st.sampled_from(["", "text/plain", "application/pdf"]))
_bytes = st.one_of(st.binary(max_size=64), _strings.map(str.encode))
_requests = st.one_of(
    st.builds(lambda r, c, t: ("PutContent", pb.PutContentRequest(
        request_id=r, content=c, content_type=t)), _strings, _bytes, _types),
    st.builds(lambda i: ("GetContent", pb.GetContentRequest(content_id=i)), _strings),
    st.builds(lambda i: ("StatContent", pb.StatContentRequest(content_id=i)), _strings),
    st.builds(lambda ids: ("BatchGetContent", pb.BatchGetContentRequest(content_ids=ids)),
              st.lists(_strings, max_size=4)),
)


def _check_every_answer(address: str) -> None:
    with grpc.insecure_channel(address) as channel:
        stub = ContentServiceStub(channel)

        @settings(max_examples=150, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        @given(case=_requests)
        def answer_is_documented(case: tuple[str, object]) -> None:
            method, request = case
            try:
                getattr(stub, method)(request, timeout=30)
            except grpc.RpcError as err:
                assert err.code() in DOCUMENTED, (method, err.code(), err.details()[:200])
                assert len(err.details()) < 1000
                # Only gRPC's own cut-off of an oversized message comes without an ErrorInfo.
                cut_off = request.ByteSize() > TRANSPORT_LIMIT  # type: ignore[attr-defined]
                assert cut_off or error_info(err) is not None

        answer_is_documented()


async def test_any_request_to_any_rpc_gets_a_documented_code(content_app):
    await asyncio.to_thread(_check_every_answer, content_app.address)
