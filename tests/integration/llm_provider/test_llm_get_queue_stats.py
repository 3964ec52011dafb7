"""GetQueueStats reports the work queue's depth and its configured maximum."""

from __future__ import annotations

import pytest

from contracts.huleedu.llm.v1 import llm_pb2
from tests.integration.llm_provider.support import comparison, submit

pytestmark = pytest.mark.integration


async def test_queued_requests_show_as_pending_while_no_worker_runs(start_service, stub_for):
    app = await start_service({"LLM_PROVIDER_WORKERS_ENABLED": "false",
                               "LLM_PROVIDER_QUEUE_MAX_DEPTH": "50"})
    stub = stub_for(app)
    await submit(stub, comparison("a"), comparison("b"), comparison("a"))
    stats = await stub.GetQueueStats(llm_pb2.GetQueueStatsRequest())
    assert (stats.pending, stats.in_flight, stats.max_depth) == (2, 0, 50)
