"""Stream declarations against a real JetStream server: create, no-op, drift repair."""

import nats
import pytest

from contracts import ids
from contracts.streams import (
    Namespace,
    cj_events_stream,
    cj_results_consumer,
    ensure_consumer,
    ensure_stream,
    llm_requests_stream,
    llm_results_stream,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def js(nats_url):
    nc = await nats.connect(nats_url)
    yield nc.jetstream()
    await nc.drain()


@pytest.fixture
def ns():
    return Namespace("t" + ids.new_id()[:10])


async def _cleanup(js, *names):
    for name in names:
        await js.delete_stream(name)


async def test_streams_are_created_once_and_then_left_unchanged(js, ns):
    specs = [llm_requests_stream(ns), llm_results_stream(ns), cj_events_stream(ns)]
    try:
        assert [await ensure_stream(js, s) for s in specs] == ["created"] * 3
        assert [await ensure_stream(js, s) for s in specs] == ["unchanged"] * 3
    finally:
        await _cleanup(js, *(s.name for s in specs))


async def test_config_drift_is_repaired(js, ns):
    spec = llm_requests_stream(ns, max_msgs=10)
    await ensure_stream(js, spec)
    try:
        assert await ensure_stream(js, llm_requests_stream(ns, max_msgs=20)) == "updated"
        info = await js.stream_info(spec.name)
        assert info.config.max_msgs == 20
    finally:
        await _cleanup(js, spec.name)


async def test_a_resubmitted_message_id_is_stored_once_in_the_work_queue(js, ns):
    spec = llm_requests_stream(ns)
    await ensure_stream(js, spec)
    try:
        subject = spec.subjects[0]
        first = await js.publish(subject, b"x", headers={"Nats-Msg-Id": "req-1"})
        second = await js.publish(subject, b"x", headers={"Nats-Msg-Id": "req-1"})
        assert not first.duplicate
        assert second.duplicate
        assert (await js.stream_info(spec.name)).state.messages == 1
    finally:
        await _cleanup(js, spec.name)


async def test_the_results_consumer_is_declared_with_explicit_acks(js, ns):
    stream = llm_results_stream(ns)
    await ensure_stream(js, stream)
    try:
        spec = cj_results_consumer(ns)
        assert await ensure_consumer(js, spec) == "created"
        assert await ensure_consumer(js, spec) == "updated"
        info = await js.consumer_info(stream.name, spec.durable)
        assert str(getattr(info.config.ack_policy, "value", info.config.ack_policy)) == "explicit"
        assert info.config.max_deliver == spec.max_deliver
    finally:
        await _cleanup(js, stream.name)
