"""Per-model concurrency against a one-slot server: the mesh queues, the server does not."""

from __future__ import annotations

import pytest

from tests.integration.llm_provider.slow_server import LOCAL, OneSlotServer, local_model_env
from tests.integration.llm_provider.support import comparison, once_each, submit

pytestmark = pytest.mark.integration


@pytest.fixture
def one_slot():
    with OneSlotServer(compute_s=0.45).running() as server:
        yield server


async def test_a_one_slot_model_never_gets_two_calls_and_none_times_out(
    start_service, stub_for, results, one_slot, tmp_path
):
    # Six at once: the last waits 2.25 s for the slot, past ack_wait (2 s; heartbeats keep it)
    # and past the 1.5 s timeout, which is shorter than 5 x the compute.
    env = local_model_env(tmp_path, one_slot.url, timeout_s=1.5, max_concurrency=1)
    app = await start_service(env)
    await submit(stub_for(app), *(comparison(f"r{i}", **LOCAL) for i in range(6)))
    found = await results.wait_for(6, timeout=20)
    assert once_each(found) and all(r.HasField("verdict") for r in found)
    assert one_slot.max_outstanding == 1 and len(one_slot.received) == 6  # no redelivery
    assert all(r.attempts == 1 and not r.failed_attempts for r in found)
    assert all(not r.usage.estimated and r.usage.prompt_tokens == 120 for r in found)
    waited = app.metrics.slot_wait.labels("openai_compatible", "local-1slot")
    assert waited._sum.get() >= 0.45 * (1 + 2 + 3 + 4 + 5) * 0.5  # the queueing is here now
    for r in found:  # started_at is when the call began (after the slot wait), not its end
        took = r.completed_at.ToNanoseconds() - r.started_at.ToNanoseconds()
        assert 0.3e9 <= took <= 1.5e9


async def test_without_a_limit_the_server_queues_and_the_calls_time_out(
    start_service, stub_for, results, one_slot, tmp_path
):
    env = local_model_env(tmp_path, one_slot.url, timeout_s=1.5, max_concurrency=0)
    app = await start_service({**env, "LLM_PROVIDER_MAX_ATTEMPTS": "1"})
    await submit(stub_for(app), *(comparison(f"r{i}", **LOCAL) for i in range(5)))
    found = await results.wait_for(5, timeout=20)
    assert one_slot.max_outstanding >= 4
    timed_out = [r for r in found if r.failed_attempts.get("TIMEOUT")]
    assert timed_out and all(r.usage.estimated for r in timed_out)
