"""ListProviders reports each provider's configuration, budget and circuit state."""

from __future__ import annotations

import pytest

from contracts.huleedu.llm.v1 import llm_pb2

pytestmark = pytest.mark.integration


async def test_providers_report_configuration_budgets_and_closed_circuits(start_service, stub_for):
    app = await start_service({"ANTHROPIC_API_KEY": "sk-test", "OPENAI_API_KEY": "",
                               "LLM_PROVIDER_ANTHROPIC_RPM": "50",
                               "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"})
    response = await stub_for(app).ListProviders(llm_pb2.ListProvidersRequest())
    info = {p.provider: p for p in response.providers}
    assert set(info) == {"anthropic", "google", "openai", "openai_compatible", "simulated"}
    assert info["anthropic"].configured and info["anthropic"].requests_per_minute == 50
    assert info["anthropic"].base_url == "http://127.0.0.1:9"
    assert not info["openai"].configured and info["openai"].enabled
    assert info["simulated"].configured and info["simulated"].default_model
    assert all(p.circuit_state == llm_pb2.CIRCUIT_STATE_CLOSED for p in response.providers)
    # Where each key is read from, so callers can say what to set (none for a local server).
    assert list(info["google"].key_variables) == ["GEMINI_API_KEY", "GOOGLE_API_KEY"]
    assert list(info["anthropic"].key_variables) == ["ANTHROPIC_API_KEY"]
    assert not info["openai_compatible"].key_variables
