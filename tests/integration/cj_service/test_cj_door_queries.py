"""The read RPCs and CancelAssessment at the door: forged page tokens, NUL and oversized ids
are INVALID_ARGUMENT / RESOURCE_EXHAUSTED, never UNKNOWN with SQL (issue 20: D5, D6)."""

from __future__ import annotations

import base64
import json

import grpc
import pytest
from sqlalchemy import text

from contracts.errors import error_info, reason_of
from contracts.huleedu.cj.v1 import cj_pb2
from tests.integration.cj_service.cj_fixtures import *  # noqa: F403
from tests.integration.cj_service.cj_harness import CJ

pytestmark = pytest.mark.integration


def forged(payload: object) -> str:
    raw = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


LIST_TOKENS = {
    "int64 overflow in the id": forged({"c": "2024-01-01T00:00:00+00:00", "i": 2**70, "s": ""}),
    "true as the time": forged({"c": True, "i": "x", "s": ""}),
    "date before year 1": forged({"c": "0001-01-01T00:00:00+05:00", "i": "x", "s": ""}),
    "date after 9999": forged({"c": "9999-12-31T23:59:59-05:00", "i": "x", "s": ""}),
    "naive date": forged({"c": "2024-01-01T00:00:00", "i": "x", "s": ""}),
    "nul in the id": forged({"c": "2024-01-01T00:00:00+00:00", "i": "a\x00b", "s": ""}),
    "a list": forged(["c", "i", "s"]),
    "a string": forged("hello"),
    "base64 garbage": "!!!***",
    "not utf-8": forged(b"\xff\xfe\x00"),
    "deep nesting": forged(b"[" * 3000),
    "huge": "A" * 100_000,
}
COMPARISON_TOKENS = {
    "int64 overflow": lambda a: forged({"a": a, "q": 2**63}),
    "negative": lambda a: forged({"a": a, "q": -1}),
    "true": lambda a: forged({"a": a, "q": True}),
    "a float": lambda a: forged({"a": a, "q": 1.5}),
    "a string": lambda a: forged({"a": a, "q": "7"}),
    "another batch": lambda a: forged({"a": "other", "q": 1}),
    "extra digits": lambda a: forged(b'{"a": "' + a.encode() + b'", "q": ' + b"9" * 5000 + b"}"),
}


def page_token_refusal(err: grpc.aio.AioRpcError) -> None:
    assert (err.code(), reason_of(err)) == (
        grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN"), err.details()
    assert "SELECT" not in err.details() and len(err.details()) < 200


@pytest.mark.parametrize("case", LIST_TOKENS)
async def test_a_forged_list_assessments_token_is_invalid_page_token(cj, case):
    await cj.submit(3)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cj.stub.ListAssessments(cj_pb2.ListAssessmentsRequest(page_token=LIST_TOKENS[case]))
    page_token_refusal(err.value)


@pytest.mark.parametrize("case", COMPARISON_TOKENS)
async def test_a_forged_comparisons_token_is_invalid_page_token(cj, case):
    a = (await cj.submit(3)).assessment.assessment_id
    request = cj_pb2.ListAssessmentComparisonsRequest(
        assessment_id=a, page_token=COMPARISON_TOKENS[case](a))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cj.stub.ListAssessmentComparisons(request)
    page_token_refusal(err.value)


async def test_a_genuine_token_still_pages(cj):
    for _ in range(3):
        await cj.submit(3)
    first = await cj.stub.ListAssessments(cj_pb2.ListAssessmentsRequest(page_size=2))
    second = await cj.stub.ListAssessments(
        cj_pb2.ListAssessmentsRequest(page_size=2, page_token=first.next_page_token))
    assert len(first.assessments) == 2 and len(second.assessments) == 1


async def call_with_id(cj: CJ, rpc: str, assessment_id: str) -> grpc.aio.AioRpcError:
    requests = {
        "GetAssessment": cj_pb2.GetAssessmentRequest,
        "GetAssessmentResults": cj_pb2.GetAssessmentResultsRequest,
        "ListAssessmentComparisons": cj_pb2.ListAssessmentComparisonsRequest,
        "CancelAssessment": cj_pb2.CancelAssessmentRequest,
    }
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await getattr(cj.stub, rpc)(requests[rpc](assessment_id=assessment_id), timeout=10)
    return err.value


RPCS = ["GetAssessment", "GetAssessmentResults", "ListAssessmentComparisons", "CancelAssessment"]


@pytest.mark.parametrize("rpc", RPCS)
async def test_a_nul_in_the_assessment_id_is_invalid_argument(cj, rpc):
    err = await call_with_id(cj, rpc, "batch\x00id")
    assert (err.code(), reason_of(err)) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")
    assert error_info(err).metadata["field"] == "assessment_id"


@pytest.mark.parametrize("rpc", RPCS)
async def test_a_1_mb_assessment_id_is_refused_without_echoing_it(cj, rpc):
    err = await call_with_id(cj, rpc, "x" * (1024 * 1024))
    assert (err.code(), reason_of(err)) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED, "CONTENT_TOO_LARGE")
    assert len(err.details()) < 200
    assert error_info(err).metadata["limit"] == "256"


@pytest.mark.parametrize("rpc", RPCS)
async def test_an_unknown_id_of_the_largest_allowed_size_is_not_found(cj, rpc):
    err = await call_with_id(cj, rpc, "u" * 256)
    assert (err.code(), reason_of(err)) == (grpc.StatusCode.NOT_FOUND, "ASSESSMENT_NOT_FOUND")
    assert len(err.details()) < 200


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"reason": "because\x00"}, "INVALID_ARGUMENT", "reason"),
        ({"reason": "r" * 1025}, "RESOURCE_EXHAUSTED", "reason"),
        ({"request_id": "c\x00"}, "INVALID_ARGUMENT", "request_id"),
    ],
)
async def test_a_bad_cancel_field_is_refused_and_the_batch_keeps_running(cj, fields, code, field):
    a = (await cj.submit(3)).assessment.assessment_id
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cj.stub.CancelAssessment(
            cj_pb2.CancelAssessmentRequest(assessment_id=a, **fields), timeout=10)
    assert err.value.code().name == code
    assert error_info(err.value).metadata["field"] == field
    assert (await cj.get(a)).state == cj_pb2.ASSESSMENT_STATE_RUNNING
    async with cj.app.deps.db.read() as conn:
        claims = await conn.execute(text("SELECT count(*) FROM request_ids WHERE operation = "
                                         "'cancel'"))
        assert claims.scalar() == 0


async def test_an_unknown_state_filter_is_invalid_argument(cj):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cj.stub.ListAssessments(cj_pb2.ListAssessmentsRequest(state=99))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_a_negative_page_size_is_invalid_argument(cj):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cj.stub.ListAssessments(cj_pb2.ListAssessmentsRequest(page_size=-1))
    assert (err.value.code(), error_info(err.value).metadata["field"]) == (
        grpc.StatusCode.INVALID_ARGUMENT, "page_size")
