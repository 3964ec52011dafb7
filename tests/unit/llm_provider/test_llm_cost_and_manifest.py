"""Cost comes from real token counts at the manifest's per-direction prices."""

from __future__ import annotations

import pytest

from llm_provider.domain.manifest import BUILTIN, build_manifest
from llm_provider.domain.usage import Usage, cost_usd, estimate_tokens


def spec(provider: str, model: str):
    found = build_manifest().get(provider, model)
    assert found is not None
    return found


def test_each_direction_and_cache_kind_is_priced_apart():
    haiku = spec("anthropic", "claude-haiku-4-5")
    usage = Usage(prompt=1_000_000, completion=1_000_000, cache_read=1_000_000,
                  cache_write=1_000_000)
    assert cost_usd(usage, haiku) == pytest.approx(1.00 + 5.00 + 0.10 + 1.25)


def test_openai_cached_input_is_cheaper_and_writes_cost_nothing_extra():
    gpt = spec("openai", "gpt-4.1")
    assert cost_usd(Usage(cache_read=1_000_000), gpt) == pytest.approx(0.50)
    assert gpt.cache_write_price == gpt.input_price


def test_the_free_simulated_judge_costs_nothing_and_its_priced_twin_does():
    usage = Usage(prompt=2_000, completion=100)
    assert cost_usd(usage, spec("simulated", "simulated-judge")) == 0.0
    assert cost_usd(usage, spec("simulated", "simulated-priced")) == pytest.approx(0.0025)


def test_usage_adds_up_over_attempts():
    assert Usage(1, 2, 3, 4) + Usage(10, 20, 30, 40) == Usage(11, 22, 33, 44)


def test_every_builtin_model_is_sane():
    for model in BUILTIN:
        assert model.context_window > model.max_output_tokens >= model.default_max_tokens > 0
        assert model.output_price >= model.input_price >= model.cache_read_price >= 0


def test_operator_entries_override_builtin_ones():
    manifest = build_manifest([{"provider": "openai", "model_id": "gpt-4.1",
                                "context_window": 1000, "max_output_tokens": 100,
                                "default_max_tokens": 50, "input_price": 9.0}])
    assert manifest.get("openai", "gpt-4.1").input_price == 9.0


def test_token_estimates_grow_with_text():
    assert estimate_tokens("") == 0 and estimate_tokens("abcd" * 100) == 100
