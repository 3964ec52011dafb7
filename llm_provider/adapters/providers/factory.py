"""Build the configured provider adapters from config (used by the composition root)."""

from __future__ import annotations

from collections.abc import Callable

from llm_provider.adapters.providers.anthropic import AnthropicProvider
from llm_provider.adapters.providers.base import Provider
from llm_provider.adapters.providers.gemini import GeminiProvider
from llm_provider.adapters.providers.openai import OpenAIProvider
from llm_provider.adapters.providers.simulated import SimulatedProvider, load_truth
from llm_provider.config import (
    ANTHROPIC,
    GOOGLE,
    OPENAI,
    OPENAI_COMPATIBLE,
    SIMULATED,
    Config,
    ProviderSettings,
)

_HTTP: dict[str, Callable[[ProviderSettings], Provider]] = {
    OPENAI: OpenAIProvider, OPENAI_COMPATIBLE: OpenAIProvider,
         ANTHROPIC: AnthropicProvider, GOOGLE: GeminiProvider}


def build_adapter(settings: ProviderSettings, config: Config) -> Provider:
    if settings.name == SIMULATED:
        return SimulatedProvider(config.simulated, seed=config.simulated_seed,
                                 truth=load_truth(config.simulated_truth_file))
    return _HTTP[settings.name](settings)


def build_adapters(config: Config) -> dict[str, Provider]:
    """One adapter per configured provider; unconfigured ones get none (and reject work)."""
    return {p.name: build_adapter(p, config) for p in config.providers if p.configured}
