"""Every RPC checks its input at the door: sizes RESOURCE_EXHAUSTED/CONTENT_TOO_LARGE, bad
characters and empty lists INVALID_ARGUMENT, each naming field, limit and value; a refused
request writes nothing."""

from __future__ import annotations

import grpc
import nats
import pytest

from contracts.errors import error_info, reason_of
from contracts.huleedu.llm.v1 import llm_pb2
from tests.integration.llm_provider.support import comparison, submit

pytestmark = pytest.mark.integration
NO_WORKERS = {"LLM_PROVIDER_WORKERS_ENABLED": "false"}


async def queued(nats_url: str, namespace) -> int:
    nc = await nats.connect(nats_url)
    try:
        info = await nc.jetstream().stream_info(namespace.name("HULEEDU_LLM_REQUESTS"))
        return int(info.state.messages)
    finally:
        await nc.close()


async def test_a_submission_without_requests_is_invalid_argument(start_service, stub_for):
    stub = stub_for(await start_service(NO_WORKERS))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.SubmitComparisons(llm_pb2.SubmitComparisonsRequest())
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "requests" in caught.value.details()


async def test_requests_breaking_a_limit_are_refused_alone_and_write_nothing(
    start_service, stub_for, nats_url, namespace
):
    stub = stub_for(await start_service(NO_WORKERS))
    outcomes = await submit(
        stub, comparison("nul", essay_a="An essay\x00 with a NUL."),
        comparison("big", essay_b="x" * (256 * 1024 + 1)),
        comparison("blank", essay_a="\u200b\u200b "), comparison("ok"))
    found = {o.request_id: (o.accepted, o.rejection_reason) for o in outcomes}
    assert found == {"nul": (False, "INVALID_ARGUMENT"), "big": (False, "CONTENT_TOO_LARGE"),
                     "blank": (False, "INVALID_ARGUMENT"), "ok": (True, "")}
    big = next(o for o in outcomes if o.request_id == "big")
    assert "prompt.essay_b_text" in big.rejection_message
    assert "262144" in big.rejection_message and "262145" in big.rejection_message
    assert await queued(nats_url, namespace) == 1
    # Nothing was remembered of the refused ones: the id is free for a corrected request.
    [again] = await submit(stub, comparison("nul", essay_a="The corrected essay."))
    assert again.accepted and not again.duplicate


async def test_a_megabyte_request_id_is_refused_without_being_echoed(start_service, stub_for):
    stub = stub_for(await start_service(NO_WORKERS))
    [outcome] = await submit(stub, comparison("i" * 1_000_000))
    assert (outcome.accepted, outcome.rejection_reason) == (False, "CONTENT_TOO_LARGE")
    assert len(outcome.rejection_message) < 200 and len(outcome.request_id) == 1_000_000


async def test_cancel_reasons_are_bounded_and_checked(start_service, stub_for):
    stub = stub_for(await start_service(NO_WORKERS))
    cancel = llm_pb2.CancelComparisonsRequest
    with pytest.raises(grpc.aio.AioRpcError) as long_reason:
        await stub.CancelComparisons(cancel(group_id="g1", reason="r" * 2048))
    assert long_reason.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    info = error_info(long_reason.value)
    assert info is not None and info.reason == "CONTENT_TOO_LARGE"
    assert dict(info.metadata) == {"field": "reason", "limit": "1024", "value": "2048 bytes"}
    with pytest.raises(grpc.aio.AioRpcError) as nul:
        await stub.CancelComparisons(cancel(group_id="g1", reason="done\x00"))
    assert nul.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as long_group:
        await stub.CancelComparisons(cancel(group_id="g" * 100_000))
    assert long_group.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert len(long_group.value.details()) < 200
    assert (await stub.CancelComparisons(cancel(group_id="g1", reason="finished"))).cancelled


async def test_list_models_and_test_provider_check_their_names(start_service, stub_for):
    stub = stub_for(await start_service(NO_WORKERS))
    with pytest.raises(grpc.aio.AioRpcError) as nul:
        await stub.ListModels(llm_pb2.ListModelsRequest(provider="simulated\x00"))
    assert nul.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason_of(nul.value) == "INVALID_ARGUMENT"
    with pytest.raises(grpc.aio.AioRpcError) as huge:
        await stub.TestProvider(llm_pb2.TestProviderRequest(provider="p" * 1_000_000))
    assert huge.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert len(huge.value.details()) < 200
    with pytest.raises(grpc.aio.AioRpcError) as line:
        await stub.TestProvider(llm_pb2.TestProviderRequest(provider="simulated",
                                                            model="simulated-judge\n"))
    assert line.value.code() == grpc.StatusCode.INVALID_ARGUMENT
