"""Provider protection: the rate budget holds under load; the circuit opens and half-opens."""

from __future__ import annotations

import bisect

import pytest

from contracts.huleedu.llm.v1 import llm_pb2
from llm_provider.domain import errors
from llm_provider.domain.errors import ProviderFailure
from tests.fixtures import wait_until
from tests.integration.llm_provider.support import ScriptedProvider, comparison, submit

pytestmark = pytest.mark.integration


def most_calls_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(bisect.bisect_right(times, t + window) - i for i, t in enumerate(times))


async def test_calls_never_exceed_the_requests_per_minute_budget(start_service, stub_for, results):
    provider = ScriptedProvider()
    app = await start_service({"LLM_PROVIDER_SIMULATED_RPM": "600"},  # 10/s, burst of 10
                              adapters={"simulated": provider})
    await submit(stub_for(app), *(comparison(f"r{i}") for i in range(35)))
    await results.wait_for(35, timeout=20)
    times = [t for _, _, t in provider.calls]
    assert len(times) == 35
    # A bucket of 10 refilled at 10/s admits at most 10 + 10 calls in any one second.
    assert most_calls_in_any_window(times, 1.0) <= 20


async def test_repeated_failures_open_the_circuit_and_a_half_open_probe_closes_it(
    start_service, stub_for, results
):
    provider = ScriptedProvider(in_order=[
        ProviderFailure(errors.PROVIDER_ERROR, "down", http_status=503)] * 3)
    app = await start_service({"LLM_PROVIDER_BREAKER_THRESHOLD": "3",
                               "LLM_PROVIDER_BREAKER_COOLDOWN_S": "1.0",
                               "LLM_PROVIDER_MAX_ATTEMPTS": "10"},
                              adapters={"simulated": provider})
    stub = stub_for(app)
    await submit(stub, comparison("r"))
    await wait_until(lambda: _circuit(stub, llm_pb2.CIRCUIT_STATE_OPEN), message="circuit open")
    [result] = await results.wait_for(1)
    assert result.HasField("verdict") and result.attempts == 4
    calls = [t for _, _, t in provider.calls]
    assert calls[3] - calls[2] >= 1.0  # nothing reached the provider while the circuit was open
    assert await _circuit(stub, llm_pb2.CIRCUIT_STATE_CLOSED)
    assert app.metrics.breaker_opened.labels("simulated")._value.get() == 1
    assert app.metrics.deferrals.labels("simulated", "circuit_open")._value.get() >= 1


async def _circuit(stub, state: int) -> bool:
    response = await stub.ListProviders(llm_pb2.ListProvidersRequest())
    return {p.provider: p.circuit_state for p in response.providers}["simulated"] == state
