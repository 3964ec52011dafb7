"""/metrics: operations by outcome, bytes stored, latency histograms, database_up."""

from __future__ import annotations

import asyncio
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from contracts.huleedu.content.v1 import content_pb2 as pb
from tests.integration.content_service.content_helpers import essay_bytes, put, rpc_error

pytestmark = pytest.mark.integration


async def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    def fetch() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
            return reply.read().decode()

    text = await asyncio.to_thread(fetch)
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text) for s in family.samples
    }


async def test_metrics_count_operations_by_outcome_and_bytes_stored(content_app, content_stub):
    data = essay_bytes(1500)
    await put(content_stub, data)
    await put(content_stub, data)
    await rpc_error(content_stub.GetContent(pb.GetContentRequest(content_id="9" * 64)))

    seen = await _scrape(content_app.metrics_port)

    ops = "huleedu_content_operations_total"
    assert seen[(ops, (("operation", "put"), ("outcome", "created")))] == 1
    assert seen[(ops, (("operation", "put"), ("outcome", "deduplicated")))] == 1
    assert seen[(ops, (("operation", "get"), ("outcome", "content_not_found")))] == 1
    assert seen[("huleedu_content_stored_bytes_total", ())] == 1500
    assert seen[("huleedu_content_operation_duration_seconds_count", (("operation", "put"),))] == 2
    assert seen[("huleedu_content_database_up", ())] == 1
