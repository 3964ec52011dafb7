"""SubmitComparisons: accepted requests are queued once and each ends in exactly one result."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from contracts.errors import reason_of
from contracts.huleedu.llm.v1 import llm_pb2
from tests.integration.llm_provider.slow_server import LOCAL, local_model_env
from tests.integration.llm_provider.support import comparison, once_each, submit

pytestmark = pytest.mark.integration


async def test_valid_requests_are_accepted_and_answered_on_the_named_subject(
    start_service, stub_for, results, namespace
):
    app = await start_service()
    stub = stub_for(app)
    outcomes = await submit(stub, comparison("r1"), comparison("r2", key="research"))
    assert [(o.request_id, o.accepted, o.duplicate) for o in outcomes] == [
        ("r1", True, False), ("r2", True, False)]
    found = await results.wait_for(2)
    by_id = {r.request_id: r for r in found}
    assert by_id["r1"].verdict.winner in (llm_pb2.WINNER_ESSAY_A, llm_pb2.WINNER_ESSAY_B)
    assert 1 <= by_id["r1"].verdict.confidence <= 5
    assert by_id["r1"].metadata["batch"] == "b1" and by_id["r1"].correlation_id == "corr-r1"
    assert by_id["r1"].usage.prompt_tokens > 0 and by_id["r1"].attempts == 1
    assert len(by_id["r1"].prompt_sha256) == 64
    subjects = sorted(await results.subjects_of_results())
    assert subjects == sorted([f"{namespace.prefix}.huleedu.llm.v1.results.cj",
                               f"{namespace.prefix}.huleedu.llm.v1.results.research"])
    usage = await results.usage_events()
    assert sorted(u.request_id for u in usage) == ["r1", "r2"]


async def test_a_resubmitted_request_is_acknowledged_as_duplicate_and_judged_once(
    start_service, stub_for, results
):
    app = await start_service()
    stub = stub_for(app)
    first = await submit(stub, comparison("dup-1"))
    again = await submit(stub, comparison("dup-1"), comparison("dup-1"))
    assert first[0].accepted and not first[0].duplicate
    assert [(o.accepted, o.duplicate) for o in again] == [(True, True), (True, True)]
    found = await results.wait_for(1)
    assert [r.request_id for r in found] == ["dup-1"] and once_each(found)


async def test_invalid_requests_are_rejected_individually_with_reasons(
    start_service, stub_for, tmp_path
):  # the local model's context holds 8,192 tokens: 40,000 characters are about 10,000
    env = local_model_env(tmp_path, "http://127.0.0.1:9", timeout_s=1.0)
    app = await start_service({"OPENAI_API_KEY": "", **env})
    stub = stub_for(app)
    outcomes = await submit(
        stub,
        comparison("ok"),
        comparison("no-model", model="gpt-9"),
        comparison("no-key", provider="openai", model="gpt-4.1"),
        comparison("too-long", essay_a="word " * 8_000, **LOCAL),
        comparison("bad-temp", temperature=7.0),
        comparison("", essay_b="x"),
        comparison("empty-essay", essay_b="   "),
        comparison("bad-key", key="a.b"),
    )
    reasons = {o.request_id: (o.accepted, o.rejection_reason) for o in outcomes}
    assert reasons == {
        "ok": (True, ""), "no-model": (False, "UNKNOWN_MODEL"),
        "no-key": (False, "PROVIDER_NOT_CONFIGURED"), "too-long": (False, "CONTEXT_TOO_LONG"),
        "bad-temp": (False, "INVALID_ARGUMENT"), "": (False, "INVALID_ARGUMENT"),
        "empty-essay": (False, "INVALID_ARGUMENT"), "bad-key": (False, "INVALID_ARGUMENT"),
    }
    assert all(o.rejection_message for o in outcomes if not o.accepted)


async def test_a_full_queue_refuses_with_resource_exhausted_and_a_retry_hint(
    start_service, stub_for
):
    app = await start_service({"LLM_PROVIDER_QUEUE_MAX_DEPTH": "2",
                               "LLM_PROVIDER_WORKERS_ENABLED": "false"})
    stub = stub_for(app)
    await submit(stub, comparison("q1"), comparison("q2"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await submit(stub, comparison("q3"))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert reason_of(caught.value) == "QUEUE_FULL"
    status = rpc_status.from_call(caught.value)
    hints = [d for d in status.details if d.Is(error_details_pb2.RetryInfo.DESCRIPTOR)]
    info = error_details_pb2.RetryInfo()
    hints[0].Unpack(info)
    assert info.retry_delay.seconds > 0


async def test_a_batch_that_overflows_the_queue_gets_queue_full_for_the_overflow(
    start_service, stub_for
):
    app = await start_service({"LLM_PROVIDER_QUEUE_MAX_DEPTH": "2",
                               "LLM_PROVIDER_WORKERS_ENABLED": "false"})
    stub = stub_for(app)
    outcomes = await submit(stub, comparison("o1"), comparison("o2"), comparison("o3"))
    assert [(o.accepted, o.rejection_reason) for o in outcomes] == [
        (True, ""), (True, ""), (False, "QUEUE_FULL")]
