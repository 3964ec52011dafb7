"""Retry delays: exponential backoff with full jitter, never shorter than Retry-After."""

from __future__ import annotations

import numpy as np


def retry_delay(
    attempt: int, *, base: float, cap: float, rng: np.random.Generator,
    retry_after: float | None = None,
) -> float:
    """Delay before retry number `attempt` (1 = first retry).

    Full jitter (uniform on [base, ceiling]) spreads a burst of failures so the retries do not
    hit the provider together; a provider's Retry-After is a floor, not a suggestion.
    """
    ceiling = min(cap, base * 2.0 ** max(attempt - 1, 0))
    delay = float(rng.uniform(min(base, ceiling), ceiling))
    return max(delay, retry_after or 0.0)
