"""The model manifest: which models exist, their limits, capabilities and list prices.

Prices are US dollars per million tokens from each vendor's public price page (standard tier,
text input, prompts under any long-context surcharge threshold). Cache prices follow the
vendor's own rules: Anthropic bills cache writes at 1.25x input (5-minute TTL) and reads at
0.1x; OpenAI bills cached input at its "cached input" price and nothing extra for writes;
Gemini 2.5 bills implicit-cache hits at the context-caching price and has no write charge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Mirrors huleedu.llm.v1.StructuredOutputMethod values; kept as ints so this module stays pure.
JSON_SCHEMA, TOOL_USE, RESPONSE_SCHEMA, JSON_OBJECT, NATIVE, TEXT = 1, 2, 3, 4, 5, 6

LOGPROBS = "logprobs"
PROMPT_CACHING = "prompt_caching"
REASONING = "reasoning"
VERBOSITY = "verbosity"


@dataclass(frozen=True)
class ModelSpec:
    provider: str
    model_id: str
    family: str
    display_name: str
    context_window: int
    max_output_tokens: int
    default_max_tokens: int
    structured_output: int
    input_price: float
    output_price: float
    cache_read_price: float
    cache_write_price: float
    capabilities: frozenset[str] = field(default_factory=frozenset)
    supports_temperature: bool = True
    max_temperature: float = 2.0
    deprecated: bool = False
    # Requests its server takes at once (a one-slot llama.cpp server: 1); 0 = no limit.
    max_concurrency: int = 0

    def has(self, capability: str) -> bool:
        return capability in self.capabilities


def _anthropic(model_id: str, display: str, inp: float, out: float) -> ModelSpec:
    return ModelSpec(
        "anthropic", model_id, "claude-4.5", display, 200_000, 64_000, 1_024, TOOL_USE,
        inp, out, cache_read_price=inp * 0.1, cache_write_price=inp * 1.25,
        capabilities=frozenset({PROMPT_CACHING}), max_temperature=1.0,
    )


def _gpt5(model_id: str, display: str, inp: float, out: float) -> ModelSpec:
    # Reasoning tokens are billed as output, so the default budget leaves room for them.
    return ModelSpec(
        "openai", model_id, "gpt-5", display, 400_000, 128_000, 4_096, JSON_SCHEMA,
        inp, out, cache_read_price=inp * 0.1, cache_write_price=inp,
        capabilities=frozenset({PROMPT_CACHING, REASONING, VERBOSITY}),
        supports_temperature=False,
    )


def _gpt(model_id: str, family: str, display: str, prices: tuple[float, float, float],
         *, context: int, max_out: int) -> ModelSpec:
    inp, out, cached = prices
    return ModelSpec(
        "openai", model_id, family, display, context, max_out, 1_024, JSON_SCHEMA,
        inp, out, cache_read_price=cached, cache_write_price=inp,
        capabilities=frozenset({PROMPT_CACHING, LOGPROBS}),
    )


def _simulated(model_id: str, display: str, inp: float, out: float) -> ModelSpec:
    return ModelSpec(
        "simulated", model_id, "simulated", display, 1_000_000, 8_192, 512, NATIVE,
        inp, out, cache_read_price=inp * 0.1, cache_write_price=inp * 1.25,
        capabilities=frozenset({LOGPROBS}),
    )


_GPT41 = dict(context=1_047_576, max_out=32_768)
_GPT4O = dict(context=128_000, max_out=16_384)

BUILTIN: tuple[ModelSpec, ...] = (
    _anthropic("claude-haiku-4-5", "Claude Haiku 4.5", 1.00, 5.00),
    _anthropic("claude-sonnet-4-5", "Claude Sonnet 4.5", 3.00, 15.00),
    _gpt5("gpt-5", "GPT-5", 1.25, 10.00),
    _gpt5("gpt-5-mini", "GPT-5 mini", 0.25, 2.00),
    _gpt5("gpt-5-nano", "GPT-5 nano", 0.05, 0.40),
    _gpt("gpt-4.1", "gpt-4.1", "GPT-4.1", (2.00, 8.00, 0.50), **_GPT41),
    _gpt("gpt-4.1-mini", "gpt-4.1", "GPT-4.1 mini", (0.40, 1.60, 0.10), **_GPT41),
    _gpt("gpt-4.1-nano", "gpt-4.1", "GPT-4.1 nano", (0.10, 0.40, 0.025), **_GPT41),
    _gpt("gpt-4o", "gpt-4o", "GPT-4o", (2.50, 10.00, 1.25), **_GPT4O),
    _gpt("gpt-4o-mini", "gpt-4o", "GPT-4o mini", (0.15, 0.60, 0.075), **_GPT4O),
    ModelSpec(
        "google", "gemini-2.5-flash", "gemini-2.5", "Gemini 2.5 Flash", 1_048_576, 65_536,
        4_096, RESPONSE_SCHEMA, 0.30, 2.50, cache_read_price=0.03, cache_write_price=0.0,
        capabilities=frozenset({PROMPT_CACHING, REASONING}),
    ),
    # A free judge for development and a priced twin so cost figures are exercised.
    _simulated("simulated-judge", "Simulated judge (free)", 0.0, 0.0),
    _simulated("simulated-priced", "Simulated judge (Haiku 4.5 prices)", 1.00, 5.00),
)


class Manifest:
    """Lookup over model specs by (provider, model id)."""

    def __init__(self, models: Iterable[ModelSpec]) -> None:
        self._models = {(m.provider, m.model_id): m for m in models}

    def get(self, provider: str, model_id: str) -> ModelSpec | None:
        return self._models.get((provider, model_id))

    def models(self, *, provider: str = "", include_deprecated: bool = False) -> list[ModelSpec]:
        return [
            m for m in self._models.values()
            if (not provider or m.provider == provider) and (include_deprecated or not m.deprecated)
        ]

    def providers(self) -> list[str]:
        return sorted({m.provider for m in self._models.values()})

    def default_model(self, provider: str) -> str:
        models = self.models(provider=provider)
        return models[0].model_id if models else ""


def spec_from_mapping(raw: Mapping[str, Any]) -> ModelSpec:
    """A manifest entry from an operator's JSON file (e.g. a local vLLM model)."""
    values = dict(raw)
    values["capabilities"] = frozenset(values.get("capabilities", ()))
    values.setdefault("structured_output", JSON_SCHEMA)
    values.setdefault("family", values.get("model_id", ""))
    values.setdefault("display_name", values.get("model_id", ""))
    values.setdefault("default_max_tokens", 1_024)
    for price in ("input_price", "output_price", "cache_read_price", "cache_write_price"):
        values.setdefault(price, 0.0)
    return ModelSpec(**values)


def build_manifest(extra: Iterable[Mapping[str, Any]] = ()) -> Manifest:
    """The built-in manifest, extended (or overridden per model) by extra entries."""
    return Manifest([*BUILTIN, *(spec_from_mapping(e) for e in extra)])
