"""CancelComparisons: one CANCELLED result per request of the group, queued or in flight."""

from __future__ import annotations

import grpc
import nats
import pytest

from contracts.huleedu.llm.v1 import llm_pb2
from llm_provider.service.convert import prompt_of
from tests.fixtures import wait_until
from tests.integration.llm_provider.slow_server import LOCAL, OneSlotServer, local_model_env
from tests.integration.llm_provider.support import comparison, once_each, submit

pytestmark = pytest.mark.integration
CANCELLED = llm_pb2.COMPARISON_ERROR_REASON_CANCELLED


def cancel(group_id: str, reason: str = "assessment finished") -> llm_pb2.CancelComparisonsRequest:
    return llm_pb2.CancelComparisonsRequest(group_id=group_id, reason=reason)


def in_group(request_id: str, group_id: str, **judge: object) -> llm_pb2.ComparisonRequest:
    request = comparison(request_id, **judge)  # type: ignore[arg-type]
    request.group_id = group_id
    return request


async def test_cancelling_a_group_says_so_once_and_a_duplicate_says_it_already_was(
    start_service, stub_for
):
    stub = stub_for(await start_service({"LLM_PROVIDER_WORKERS_ENABLED": "false"}))
    assert (await stub.CancelComparisons(cancel("assessment-1"))).cancelled
    assert not (await stub.CancelComparisons(cancel("assessment-1"))).cancelled
    assert (await stub.CancelComparisons(cancel("assessment-2", reason=""))).cancelled


@pytest.mark.parametrize(("group_id", "code"), [
    ("", grpc.StatusCode.INVALID_ARGUMENT), ("tab\there", grpc.StatusCode.INVALID_ARGUMENT),
    ("x" * 257, grpc.StatusCode.RESOURCE_EXHAUSTED)])
async def test_a_missing_malformed_or_oversized_group_id_is_refused(
    start_service, stub_for, group_id, code
):
    stub = stub_for(await start_service({"LLM_PROVIDER_WORKERS_ENABLED": "false"}))
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await stub.CancelComparisons(cancel(group_id))
    assert error.value.code() == code


async def test_a_missing_cancellations_bucket_is_unavailable(
    start_service, stub_for, nats_url, namespace
):
    stub = stub_for(await start_service({"LLM_PROVIDER_WORKERS_ENABLED": "false"}))
    nc = await nats.connect(nats_url)
    await nc.jetstream().delete_key_value(namespace.name("HULEEDU_LLM_CANCELLED"))
    await nc.close()
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await stub.CancelComparisons(cancel("assessment-1"))
    assert error.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_submissions_with_a_malformed_group_id_are_rejected(start_service, stub_for):
    stub = stub_for(await start_service({"LLM_PROVIDER_WORKERS_ENABLED": "false"}))
    outcomes = await submit(stub, in_group("ok", "a" * 256), in_group("long", "a" * 257),
                            in_group("ctl", "bell\x07"))
    assert [(o.accepted, o.rejection_reason) for o in outcomes] == [
        (True, ""), (False, "CONTENT_TOO_LARGE"), (False, "INVALID_ARGUMENT")]


async def test_cancel_ends_queued_and_in_flight_requests_of_the_group_with_one_result_each(
    start_service, stub_for, results, tmp_path
):
    with OneSlotServer(compute_s=1.5).running() as server:
        env = local_model_env(tmp_path, server.url, timeout_s=10.0, max_tokens=64)
        await start_service(env)  # the replica with workers
        api = stub_for(await start_service({**env, "LLM_PROVIDER_WORKERS_ENABLED": "false"}))
        group = [in_group(f"g{i}", "assessment-1", **LOCAL) for i in range(3)]
        await submit(api, *group)
        await wait_until(lambda: len(server.received) == 1, message="one call in flight")
        # Cancelled through the replica without workers: the worker learns it from the watch.
        assert (await api.CancelComparisons(cancel("assessment-1", "stopped early"))).cancelled
        found = await results.wait_for(3, timeout=10)
        assert not (await api.CancelComparisons(cancel("assessment-1"))).cancelled
        await submit(api, in_group("other", "assessment-2", **LOCAL))
        found = await results.wait_for(4, timeout=15)
        assert len(server.received) == 2
    assert once_each(found) and len(found) == 4
    by_id = {r.request_id: r for r in found}
    assert by_id["other"].HasField("verdict")
    cancelled = [by_id[f"g{i}"] for i in range(3)]
    assert all(r.error.reason == CANCELLED and "stopped early" in r.error.message
               for r in cancelled)
    [cut_off] = [r for r in cancelled if r.attempts]
    estimate = prompt_of(group[0].prompt).estimated_tokens()
    assert cut_off.usage.estimated and dict(cut_off.failed_attempts) == {"CANCELLED": 1}
    assert (cut_off.usage.prompt_tokens, cut_off.usage.completion_tokens) == (estimate, 64)
    queued = [r for r in cancelled if not r.attempts]
    assert len(queued) == 2 and all(r.usage.ByteSize() == 0 for r in queued)
    events = {u.request_id: u for u in await results.usage_events()}
    assert events[cut_off.request_id].usage == cut_off.usage and len(events) == 4


async def test_a_request_of_an_already_cancelled_group_makes_no_call(
    start_service, stub_for, results, tmp_path
):
    with OneSlotServer(compute_s=0.05).running() as server:
        app = await start_service(local_model_env(tmp_path, server.url, timeout_s=5.0))
        stub = stub_for(app)
        assert (await stub.CancelComparisons(cancel("assessment-1"))).cancelled
        await submit(stub, in_group("late", "assessment-1", **LOCAL), comparison("free", **LOCAL))
        found = await results.wait_for(2, timeout=10)
        assert len(server.received) == 1
    by_id = {r.request_id: r for r in found}
    assert by_id["late"].error.reason == CANCELLED and by_id["late"].attempts == 0
    assert by_id["free"].HasField("verdict")


async def test_a_request_waiting_for_its_retry_ends_cancelled_with_the_tokens_it_used(
    start_service, stub_for, results
):
    from llm_provider.domain import errors
    from llm_provider.domain.errors import ProviderFailure
    from llm_provider.domain.usage import Usage
    from tests.integration.llm_provider.support import ScriptedProvider

    failed = ProviderFailure(errors.INVALID_RESPONSE, "garbled", http_status=200,
                             usage=Usage(70, 9))
    provider = ScriptedProvider(per_request={"r": [failed]})
    app = await start_service({"LLM_PROVIDER_BACKOFF_BASE_S": "1.5",
                               "LLM_PROVIDER_BACKOFF_MAX_S": "1.5"},
                              adapters={"simulated": provider})
    stub = stub_for(app)
    await submit(stub, in_group("r", "assessment-1"))
    await wait_until(lambda: provider.calls_for("r") == 1, message="first attempt")
    assert (await stub.CancelComparisons(cancel("assessment-1"))).cancelled
    [result] = await results.wait_for(1, timeout=10)
    assert result.error.reason == CANCELLED and provider.calls_for("r") == 1
    assert dict(result.failed_attempts) == {"INVALID_RESPONSE": 1} and result.attempts == 1
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (70, 9)
    assert not result.usage.estimated
