"""ListModels serves the manifest with real per-direction prices."""

from __future__ import annotations

import json

import pytest

from contracts.huleedu.llm.v1 import llm_pb2

pytestmark = pytest.mark.integration


async def test_the_manifest_lists_every_vendor_model_with_prices(start_service, stub_for):
    stub = stub_for(await start_service())
    response = await stub.ListModels(llm_pb2.ListModelsRequest())
    models = {(m.provider, m.model_id): m for m in response.models}
    for key in [("anthropic", "claude-haiku-4-5"), ("anthropic", "claude-sonnet-4-5"),
                ("openai", "gpt-5"), ("openai", "gpt-5-mini"), ("openai", "gpt-5-nano"),
                ("openai", "gpt-4.1"), ("openai", "gpt-4o-mini"), ("google", "gemini-2.5-flash"),
                ("simulated", "simulated-judge")]:
        assert key in models
    haiku = models[("anthropic", "claude-haiku-4-5")]
    assert (haiku.input_price_per_mtok, haiku.output_price_per_mtok) == (1.0, 5.0)
    assert haiku.cache_write_price_per_mtok == pytest.approx(1.25)
    assert haiku.structured_output_method == llm_pb2.STRUCTURED_OUTPUT_METHOD_TOOL_USE
    assert not models[("openai", "gpt-5")].supports_temperature
    assert (haiku.max_temperature, models[("openai", "gpt-4.1")].max_temperature) == (1.0, 2.0)
    assert "logprobs" in models[("openai", "gpt-4.1")].capabilities


async def test_models_can_be_filtered_by_provider(start_service, stub_for):
    stub = stub_for(await start_service())
    response = await stub.ListModels(llm_pb2.ListModelsRequest(provider="google"))
    assert [m.model_id for m in response.models] == ["gemini-2.5-flash"]
    none = await stub.ListModels(llm_pb2.ListModelsRequest(provider="nobody"))
    assert list(none.models) == []


async def test_an_operator_manifest_file_adds_local_models(start_service, stub_for, tmp_path):
    path = tmp_path / "models.json"
    path.write_text(json.dumps([{"provider": "openai_compatible", "model_id": "llama3.1:8b",
                                 "context_window": 131072, "max_output_tokens": 4096}]))
    stub = stub_for(await start_service({"LLM_PROVIDER_MANIFEST_PATH": str(path)}))
    response = await stub.ListModels(llm_pb2.ListModelsRequest(provider="openai_compatible"))
    assert [m.model_id for m in response.models] == ["llama3.1:8b"]
