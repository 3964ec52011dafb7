"""Payload details that need no server: cache breakpoints and what the prompt hash covers."""

from __future__ import annotations

from llm_provider.adapters.providers.anthropic import AnthropicProvider
from llm_provider.adapters.providers.base import ProviderCall
from llm_provider.adapters.providers.gemini import GeminiProvider
from llm_provider.config import ProviderSettings
from llm_provider.domain.manifest import build_manifest
from llm_provider.domain.prompt import Block, Prompt

SETTINGS = ProviderSettings("anthropic", True, api_key="k", base_url="http://127.0.0.1:9")


def call(blocks: tuple[Block, ...], *, model: str = "claude-haiku-4-5",
         provider: str = "anthropic", temperature: float | None = None) -> ProviderCall:
    spec = build_manifest().get(provider, model)
    return ProviderCall("r", spec, Prompt("system", blocks, "A text", "B text"), temperature, 500)


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
    assert "Essay A:" in text and "Essay B:" in text and text.index("A text") < text.index("B text")
