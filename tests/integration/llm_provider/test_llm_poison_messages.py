"""What llm_provider consumes from NATS cannot stall it: garbage, a wrong schema or a request
that cannot be answered (no valid request_id) is terminated with a log line and a metric,
never redelivered; a request breaking the door's other limits gets its one result, a final
INVALID_REQUEST, and is never judged; the messages after them are judged; unreadable KV
records are skipped and counted."""

from __future__ import annotations

import asyncio
import itertools

import nats
import pytest

from contracts import headers, subjects
from contracts.huleedu.events.v1 import events_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from llm_provider.adapters.kv import key_of
from tests.fixtures import wait_until
from tests.integration.llm_provider.support import ScriptedProvider, comparison, submit

pytestmark = pytest.mark.integration


_serial = itertools.count()


def queued(request: llm_pb2.ComparisonRequest) -> tuple[bytes, dict[str, str]]:
    return headers.encode(llm_pb2.QueuedComparison(request=request), msg_id=f"p{next(_serial)}")


def poison() -> list[tuple[bytes, dict[str, str]]]:
    wrong = events_pb2.LLMUsageRecorded(request_id="usage")
    return [
        (b"\xff\x00 random garbage", {"Nats-Msg-Id": "garbage"}),
        (b"\x08\x96\x01", {"Nats-Msg-Id": "no-schema"}),
        (wrong.SerializeToString(), {"Nats-Msg-Id": "wrong", headers.SCHEMA:
                                     wrong.DESCRIPTOR.full_name}),
        queued(comparison("i" * 5_000)),
        queued(comparison("nul\x00id")),
    ]


def past_intake() -> list[tuple[bytes, dict[str, str]]]:
    nul_metadata = comparison("nul-meta")
    nul_metadata.metadata["batch"] = "b\x00"
    return [queued(comparison("nul-essay", essay_a="An essay \x00 with a NUL")),
            queued(nul_metadata), queued(comparison("huge", essay_b="x" * 700_000))]


async def test_poison_is_terminated_counted_and_the_next_request_still_judged(
    start_service, stub_for, results, nats_url, namespace
):
    app = await start_service({"LLM_PROVIDER_CONCURRENCY": "1"})
    messages, answered = poison(), past_intake()
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    for data, hdrs in messages + answered:
        await js.publish(namespace.subject(subjects.LLM_REQUESTS), data, headers=hdrs)
    await nc.close()
    await submit(stub_for(app), comparison("after"))
    got = {r.request_id: r for r in await results.wait_for(1 + len(answered))}
    assert got.pop("after").HasField("verdict")
    assert sorted(got) == ["huge", "nul-essay", "nul-meta"]
    for refused in got.values():  # answered, never judged: no call, no tokens
        assert refused.error.reason == llm_pb2.COMPARISON_ERROR_REASON_INVALID_REQUEST
        assert "breaks intake's limits" in refused.error.message and refused.attempts == 0
    await wait_until(lambda: app.metrics.undecodable._value.get() == len(messages),
                     message="every poison message counted")
    stats = await stub_for(app).GetQueueStats(llm_pb2.GetQueueStatsRequest())
    assert (stats.pending, stats.in_flight, stats.redelivered) == (0, 0, 0)
    assert len(await results.results()) == 1 + len(answered)


async def test_an_unreadable_retry_record_is_ignored_not_retried_for_ever(
    start_service, stub_for, results, nats_url, namespace
):
    stuck = ScriptedProvider(hold=asyncio.Event())
    first = await start_service({"LLM_PROVIDER_ACK_WAIT_S": "1"}, adapters={"simulated": stuck})
    await submit(stub_for(first), comparison("r"))
    await wait_until(lambda: stuck.calls, message="first delivery called the provider")
    await first.workers.abort()  # like kill -9: the second delivery reads the retry record
    nc = await nats.connect(nats_url)
    kv = await nc.jetstream().key_value(namespace.name("HULEEDU_LLM_ATTEMPTS"))
    await kv.put(key_of("r"), b"\xff\xfe not a ComparisonResult")
    await nc.close()
    second = await start_service({"LLM_PROVIDER_ACK_WAIT_S": "1"},
                                 adapters={"simulated": ScriptedProvider()})
    [result] = await results.wait_for(1)
    assert result.request_id == "r" and result.HasField("verdict")
    assert second.metrics.unreadable_records.labels("attempts")._value.get() == 1


async def test_an_unreadable_cancellation_record_is_skipped_and_counted(
    start_service, stub_for, nats_url, namespace
):
    await start_service({"LLM_PROVIDER_WORKERS_ENABLED": "false"})  # makes the bucket
    nc = await nats.connect(nats_url)
    kv = await nc.jetstream().key_value(namespace.name("HULEEDU_LLM_CANCELLED"))
    for junk in (b"\xff\x00", b"[1, 2]", b'{"reason": "no group"}', b"null"):
        await kv.put(key_of(junk.hex()), junk)
    await nc.close()
    app = await start_service({"LLM_PROVIDER_WORKERS_ENABLED": "false"})
    assert app.metrics.unreadable_records.labels("cancellations")._value.get() == 4
    cancel = llm_pb2.CancelComparisonsRequest(group_id="g", reason="done")
    assert (await stub_for(app).CancelComparisons(cancel)).cancelled
