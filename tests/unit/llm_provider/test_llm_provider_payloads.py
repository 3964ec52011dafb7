"""Payload details that need no server: cache breakpoints and what the prompt hash covers."""

from __future__ import annotations

import pytest

from llm_provider.adapters.providers.anthropic import AnthropicProvider
from llm_provider.adapters.providers.base import ProviderCall
from llm_provider.adapters.providers.gemini import GeminiProvider
from llm_provider.adapters.providers.openai import OpenAIProvider
from llm_provider.config import ProviderSettings
from llm_provider.domain.manifest import (
    JSON_OBJECT,
    JSON_SCHEMA,
    TEXT,
    build_manifest,
    spec_from_mapping,
)
from llm_provider.domain.prompt import EXAMPLE, Block, Prompt
from llm_provider.domain.verdict import VERDICT_SCHEMA, parse_verdict_json

CODE = "c0dec0dec0dec0de"  # the essays' fence code (llm_provider.domain.prompt)

SETTINGS = ProviderSettings("anthropic", True, api_key="k", base_url="http://127.0.0.1:9")


def call(blocks: tuple[Block, ...], *, model: str = "claude-haiku-4-5",
         provider: str = "anthropic", temperature: float | None = None) -> ProviderCall:
    spec = build_manifest().get(provider, model)
    assert spec is not None
    prompt = Prompt("system", blocks, "A text", "B text", CODE)
    return ProviderCall("r", spec, prompt, temperature, 500)


def test_anthropic_uses_at_most_four_cache_breakpoints():
    blocks = tuple(Block(f"context {i}", cacheable=True) for i in range(6))
    body = AnthropicProvider(SETTINGS).payload(call(blocks))
    marked = [b for b in body["messages"][0]["content"] if "cache_control" in b]
    assert len(marked) == 3 and "cache_control" in body["system"][0]
    assert marked[-1]["text"] == "context 5"


def test_nothing_is_cached_when_no_block_is_cacheable():
    body = AnthropicProvider(SETTINGS).payload(call((Block("context", cacheable=False),)))
    assert "cache_control" not in body["system"][0]


def test_the_prompt_hash_changes_with_text_model_and_parameters():
    adapter = AnthropicProvider(SETTINGS)
    base = adapter.prompt_sha256(call(()))
    assert adapter.prompt_sha256(call(())) == base
    assert adapter.prompt_sha256(call((Block("more"),))) != base
    assert adapter.prompt_sha256(call((), temperature=0.1)) != base
    assert adapter.prompt_sha256(call((), model="claude-sonnet-4-5")) != base


def test_essays_are_labelled_a_and_b_and_nothing_else():
    settings = ProviderSettings("google", True, api_key="k", base_url="http://127.0.0.1:9")
    body = GeminiProvider(settings).payload(call((), provider="google", model="gemini-2.5-flash"))
    text = body["contents"][0]["parts"][-1]["text"]
    assert f"=== BEGIN Essay A {CODE} ===\nA text\n=== END Essay A {CODE} ===" in text
    assert f"=== BEGIN Essay B {CODE} ===\nB text\n=== END Essay B {CODE} ===" in text
    assert text.index("A text") < text.index("B text")


def _openai(name: str, key: str = "k") -> OpenAIProvider:
    return OpenAIProvider(ProviderSettings(name, True, api_key=key, base_url="http://127.0.0.1:9"))


def _local_call(structured_output: int) -> ProviderCall:
    spec = spec_from_mapping({"provider": "openai_compatible", "model_id": "local",
                              "context_window": 8_192, "max_output_tokens": 512,
                              "structured_output": structured_output})
    return ProviderCall("r", spec, Prompt("system", (), "A text", "B text", CODE), None, 500)


def test_openai_asks_logprobs_only_of_models_listing_them():
    assert _openai("openai").payload(call((), provider="openai", model="gpt-4.1"))["logprobs"]
    assert "logprobs" not in _openai("openai").payload(
        call((), provider="openai", model="gpt-5-mini"))


def test_compatible_servers_are_asked_for_logprobs_by_default():
    body = _openai("openai_compatible").payload(_local_call(JSON_SCHEMA))
    assert body["logprobs"] is True and body["top_logprobs"] == 5
    assert body["response_format"]["json_schema"]["schema"] == VERDICT_SCHEMA


@pytest.mark.parametrize(("method", "response_format"), [
    (JSON_OBJECT, {"type": "json_object", "schema": VERDICT_SCHEMA}),
    (TEXT, None),
])
def test_the_manifest_sets_the_first_structured_output_mode(method, response_format):
    body = _openai("openai_compatible").payload(_local_call(method))
    assert body.get("response_format") == response_format


def test_compatible_servers_always_get_a_bearer_token():
    assert _openai("openai_compatible", key="").headers() == {"authorization": "Bearer no-key"}
    assert _openai("openai_compatible", key="s").headers() == {"authorization": "Bearer s"}
    assert _openai("openai", key="").headers() == {}


def test_the_instruction_names_json_the_keys_and_the_values():
    text = Prompt("system", (), "A text", "B text", CODE).user_text()
    for word in ("JSON", '"winner"', '"justification"', '"confidence"', '"Essay A"',
                 '"Essay B"', "integer", "nothing else"):
        assert word in text
    assert text.index(f"=== END Essay B {CODE} ===") < text.index("JSON")
    assert parse_verdict_json(EXAMPLE).winner == "B"
