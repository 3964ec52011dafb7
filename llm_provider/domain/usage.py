"""Token usage and its cost under a manifest entry's per-direction prices."""

from __future__ import annotations

from dataclasses import dataclass

from llm_provider.domain.manifest import ModelSpec

PER_MILLION = 1_000_000.0


@dataclass(frozen=True)
class Usage:
    """Tokens of one or more calls; prompt excludes cache reads and writes (billed apart)."""

    prompt: int = 0
    completion: int = 0
    cache_read: int = 0
    cache_write: int = 0
    # Some counts are the mesh's estimate (a call that timed out or was cancelled in flight
    # and reported nothing), not the provider's figures.
    estimated: bool = False

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt + other.prompt, self.completion + other.completion,
            self.cache_read + other.cache_read, self.cache_write + other.cache_write,
            self.estimated or other.estimated,
        )

    @property
    def input_total(self) -> int:
        return self.prompt + self.cache_read + self.cache_write


def cost_usd(usage: Usage, spec: ModelSpec) -> float:
    """Dollars for `usage` at `spec`'s prices, each direction and cache kind priced apart."""
    return (
        usage.prompt * spec.input_price
        + usage.completion * spec.output_price
        + usage.cache_read * spec.cache_read_price
        + usage.cache_write * spec.cache_write_price
    ) / PER_MILLION


def estimate_tokens(text: str) -> int:
    """A provider-neutral token estimate (about four characters per token).

    Used before a call (context-window checks, tokens-per-minute budgets) and by the
    simulated judge, never in place of a real provider's reported counts.
    """
    return (len(text) + 3) // 4
