"""Every token counted and every failed attempt named: timeouts, 504 storms, half-open probes."""

from __future__ import annotations

import pytest

from contracts.huleedu.llm.v1 import llm_pb2
from llm_provider.service.convert import prompt_of
from tests.integration.llm_provider.slow_server import LOCAL, OneSlotServer, local_model_env
from tests.integration.llm_provider.support import comparison, once_each, submit

pytestmark = pytest.mark.integration


async def test_a_call_that_times_out_is_billed_as_an_estimate_marked_estimated(
    start_service, stub_for, results, tmp_path
):
    with OneSlotServer(compute_s=1.0).running() as server:
        env = local_model_env(tmp_path, server.url, timeout_s=0.3, max_tokens=64)
        app = await start_service({**env, "LLM_PROVIDER_MAX_ATTEMPTS": "1"})
        request = comparison("r", **LOCAL)
        await submit(stub_for(app), request)
        [result] = await results.wait_for(1, timeout=10)
    assert result.error.reason == llm_pb2.COMPARISON_ERROR_REASON_TIMEOUT
    estimate = prompt_of(request.prompt).estimated_tokens()
    assert result.usage.estimated and dict(result.failed_attempts) == {"TIMEOUT": 1}
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (estimate, 64)
    assert result.cost_usd == pytest.approx((estimate * 1.0 + 64 * 5.0) / 1e6)
    [usage] = await results.usage_events()
    assert usage.usage == result.usage and usage.cost_usd == result.cost_usd


async def test_a_verdict_after_retries_names_every_failed_attempt_and_counts_their_tokens(
    start_service, stub_for, results, tmp_path
):
    with OneSlotServer(compute_s=0.05).running() as server:
        server.statuses = {1: 500, 2: 504}
        env = local_model_env(tmp_path, server.url, timeout_s=2.0)
        app = await start_service({**env, "LLM_PROVIDER_MAX_ATTEMPTS": "3"})
        request = comparison("r", **LOCAL)
        await submit(stub_for(app), request)
        [result] = await results.wait_for(1, timeout=10)
    assert result.HasField("verdict") and result.attempts == 3
    assert dict(result.failed_attempts) == {"PROVIDER_ERROR": 1, "TIMEOUT": 1}
    estimate = prompt_of(request.prompt).estimated_tokens()  # the 504 reported nothing
    assert result.usage.prompt_tokens == 120 + estimate and result.usage.estimated


async def test_half_open_probes_failing_in_a_504_storm_do_not_use_up_attempts(
    start_service, stub_for, results, tmp_path
):
    # Calls 3..12 answer 504: two failures open the circuit, then every half-open probe
    # fails until the storm passes. Each request may make only 3 attempts.
    with OneSlotServer(compute_s=0.02).running() as server:
        server.statuses = {n: 504 for n in range(3, 13)}
        env = local_model_env(tmp_path, server.url, timeout_s=2.0)
        app = await start_service({**env, "LLM_PROVIDER_MAX_ATTEMPTS": "3",
                                   "LLM_PROVIDER_BREAKER_THRESHOLD": "2",
                                   "LLM_PROVIDER_BREAKER_COOLDOWN_S": "0.2"})
        await submit(stub_for(app), *(comparison(f"r{i}", **LOCAL) for i in range(4)))
        found = await results.wait_for(4, timeout=30)
        calls = len(server.received)
    assert once_each(found) and all(r.HasField("verdict") for r in found), found
    assert all(r.attempts <= 3 for r in found)
    assert sum(sum(r.failed_attempts.values()) for r in found) == 10 == calls - 4
    assert sum(r.failed_attempts["TIMEOUT"] for r in found) == 10
    assert app.metrics.breaker_opened.labels("openai_compatible")._value.get() >= 2
