"""Crashes and redeliveries: every accepted request still ends in exactly one result."""

from __future__ import annotations

import asyncio

import nats
import pytest

from contracts import headers, subjects
from contracts.huleedu.llm.v1 import llm_pb2
from tests.fixtures import wait_until
from tests.integration.llm_provider.support import (
    ScriptedProvider,
    comparison,
    once_each,
    results_subject,
    submit,
)

pytestmark = pytest.mark.integration


async def test_a_worker_that_dies_mid_call_leaves_the_request_to_another_worker(
    start_service, stub_for, results
):
    stuck = ScriptedProvider(hold=asyncio.Event())  # never released: the call hangs
    first = await start_service({"LLM_PROVIDER_ACK_WAIT_S": "1"}, adapters={"simulated": stuck})
    await submit(stub_for(first), comparison("r"))
    await wait_until(lambda: stuck.calls, message="first worker called the provider")
    await first.workers.abort()  # like kill -9: no ack, no nak
    healthy = ScriptedProvider()
    await start_service({"LLM_PROVIDER_ACK_WAIT_S": "1"}, adapters={"simulated": healthy})
    [result] = await results.wait_for(1)
    assert result.request_id == "r" and result.HasField("verdict")
    assert healthy.calls_for("r") == 1 and once_each(await results.results())


async def test_a_result_published_before_a_crash_is_not_published_twice(
    start_service, stub_for, results, nats_url, namespace
):
    # The crash window between publishing a result and acking its request: the redelivered
    # request is judged again, and the results stream drops the second copy by Nats-Msg-Id.
    app = await start_service({"LLM_PROVIDER_WORKERS_ENABLED": "false"})
    await submit(stub_for(app), comparison("r"))
    nc = await nats.connect(nats_url)
    earlier = llm_pb2.ComparisonResult(request_id="r", provider="simulated")
    data, hdrs = headers.encode(earlier, msg_id="r")
    await nc.jetstream().publish(results_subject(namespace), data, headers=hdrs)
    await nc.close()
    await start_service()
    await wait_until(lambda: _queue_empty(nats_url, namespace), message="request acked")
    found = await results.results()
    assert [r.request_id for r in found] == ["r"]


async def test_long_calls_are_kept_alive_with_in_progress_and_not_redelivered(
    start_service, stub_for, results
):
    slow = ScriptedProvider(delay_s=2.5)
    app = await start_service({"LLM_PROVIDER_ACK_WAIT_S": "1"}, adapters={"simulated": slow})
    await submit(stub_for(app), comparison("r"))
    [result] = await results.wait_for(1)
    assert result.HasField("verdict") and slow.calls_for("r") == 1


async def test_an_undecodable_message_is_terminated_and_counted(
    start_service, nats_url, namespace
):
    app = await start_service()
    nc = await nats.connect(nats_url)
    await nc.jetstream().publish(namespace.subject(subjects.LLM_REQUESTS), b"\xff\x00garbage",
                                 headers={"Nats-Msg-Id": "junk", headers.SCHEMA: "no.such.Type"})
    await nc.close()
    undecodable = app.metrics.undecodable
    await wait_until(lambda: undecodable._value.get() == 1, message="undecodable counted")
    await wait_until(lambda: _queue_empty(nats_url, namespace), message="junk removed")


async def _queue_empty(nats_url: str, namespace) -> bool:
    nc = await nats.connect(nats_url)
    try:
        info = await nc.jetstream().stream_info(namespace.name("HULEEDU_LLM_REQUESTS"))
        return info.state.messages == 0
    finally:
        await nc.close()


async def test_a_queued_message_without_a_request_id_is_terminated_not_retried(
    start_service, nats_url, namespace
):
    app = await start_service()
    nc = await nats.connect(nats_url)
    empty = llm_pb2.QueuedComparison()
    data, hdrs = headers.encode(empty, msg_id="empty-1")
    await nc.jetstream().publish(namespace.subject(subjects.LLM_REQUESTS), data, headers=hdrs)
    await nc.close()
    undecodable = app.metrics.undecodable
    await wait_until(lambda: undecodable._value.get() == 1, message="empty request counted")
    await wait_until(lambda: _queue_empty(nats_url, namespace), message="empty request removed")
