"""Retry delays grow exponentially with full jitter, capped, never below Retry-After."""

from __future__ import annotations

import numpy as np

from llm_provider.domain.backoff import retry_delay


def delays(attempt: int, *, retry_after: float | None = None) -> list[float]:
    rng = np.random.default_rng(7)
    return [retry_delay(attempt, base=1.0, cap=30.0, rng=rng, retry_after=retry_after)
            for _ in range(2_000)]


def test_delays_stay_between_the_base_and_the_growing_ceiling():
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0)]:
        found = delays(attempt)
        assert min(found) >= 1.0 and max(found) <= ceiling


def test_jitter_spreads_retries_across_the_window():
    found = delays(4)
    assert np.std(found) > 1.5 and 4.0 < float(np.mean(found)) < 5.0


def test_the_cap_bounds_late_attempts():
    assert max(delays(20)) <= 30.0


def test_retry_after_is_a_floor():
    assert min(delays(1, retry_after=12.0)) == 12.0
