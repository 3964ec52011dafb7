"""A request whose work-queue message the NATS server would refuse is refused at intake, alone,
as CONTENT_TOO_LARGE (issue 20, D3): never UNAVAILABLE, which callers retry for ever."""

from __future__ import annotations

import nats
import pytest

from contracts import headers, streams
from llm_provider.adapters.jetstream import AckedPublisher
from llm_provider.adapters.queue import WorkQueue
from tests.integration.llm_provider.support import SMALL_MAX_PAYLOAD, comparison, submit

pytestmark = pytest.mark.integration


async def test_a_request_over_the_servers_max_payload_is_refused_alone(
    small_nats_url, start_service, stub_for
):  # small_nats_url first: it outlives the service, which is stopped before it
    app = await start_service({"NATS_URL": small_nats_url})
    stub = stub_for(app)
    big = comparison("big", essay_a="x" * 100_000)  # inside the door's 256 KiB, over the bus
    outcomes = await submit(stub, comparison("before"), big, comparison("after"))
    assert [(o.request_id, o.accepted, o.rejection_reason) for o in outcomes] == [
        ("before", True, ""), ("big", False, "CONTENT_TOO_LARGE"), ("after", True, "")]
    assert str(SMALL_MAX_PAYLOAD) in outcomes[1].rejection_message
    # Resubmitting it (as a caller that retries would) gets the same answer, not a stall.
    [again] = await submit(stub, big)
    assert (again.accepted, again.rejection_reason) == (False, "CONTENT_TOO_LARGE")


async def test_the_work_queue_turns_a_max_payload_refusal_into_that_items_outcome(
    nats_url, namespace
):
    nc = await nats.connect(nats_url)
    publisher = await AckedPublisher(nc).start()
    try:
        spec = streams.llm_requests_stream(namespace)
        await streams.ensure_stream(nc.jetstream(), spec)
        queue = WorkQueue(nc.jetstream(), publisher, stream=spec.name,
                          subject=spec.subjects[0], durable="unused")
        small, hdrs = headers.encode(comparison("small"), msg_id="small")
        items = [("huge", b"x" * (nc.max_payload + 1), {**hdrs, "Nats-Msg-Id": "huge"}),
                 ("small", small, hdrs)]
        outcomes = await queue.publish(items)
        assert [(o.request_id, o.too_large, o.duplicate) for o in outcomes] == [
            ("huge", True, False), ("small", False, False)]
        assert await queue.depth() == 1
    finally:
        await publisher.close()
        await nc.close()
