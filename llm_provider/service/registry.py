"""Per-provider runtime state: the adapter, its rate limiter and its circuit breaker.

Limits and breakers live per replica: with N replicas, give each 1/N of the account budget.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from llm_provider.adapters.providers.base import Provider
from llm_provider.config import ProviderSettings, WorkerSettings
from llm_provider.domain.circuit import CircuitBreaker
from llm_provider.domain.ratelimit import RateLimiter


@dataclass
class ProviderSlot:
    settings: ProviderSettings
    adapter: Provider | None
    limiter: RateLimiter
    breaker: CircuitBreaker

    @property
    def ready(self) -> bool:
        return self.settings.configured and self.adapter is not None


def build_slots(
    providers: Iterable[ProviderSettings], adapters: Mapping[str, Provider], *,
    worker: WorkerSettings, now: float,
) -> dict[str, ProviderSlot]:
    return {
        p.name: ProviderSlot(
            p, adapters.get(p.name),
            RateLimiter(rpm=p.rpm, tpm=p.tpm, burst_seconds=worker.burst_s, now=now),
            CircuitBreaker(worker.breaker_threshold, worker.breaker_cooldown_s),
        )
        for p in providers
    }
