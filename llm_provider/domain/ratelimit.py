"""Token buckets for a provider's requests-per-minute and tokens-per-minute budgets.

Pure: callers pass `now` (monotonic seconds). A reservation debits the bucket at once, even
into debt, and returns how long the caller must wait; so waiters are served in order and the
long-run rate never exceeds the budget, however many workers reserve concurrently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MINUTE = 60.0


@dataclass
class TokenBucket:
    """`rate` units per second with room for `capacity` units of burst."""

    rate: float
    capacity: float
    level: float = field(default=-1.0)
    updated: float = 0.0

    def __post_init__(self) -> None:
        if self.level < 0:
            self.level = self.capacity

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
            self.updated = now

    def reserve(self, now: float, amount: float = 1.0) -> float:
        """Debit `amount` and return the seconds until the debt is repaid (0 when none)."""
        self._refill(now)
        self.level -= min(amount, self.capacity)  # a request larger than the bucket still runs
        return 0.0 if self.level >= 0 else -self.level / self.rate

    def refund(self, amount: float) -> None:
        self.level = min(self.capacity, self.level + min(amount, self.capacity))


def per_minute_bucket(per_minute: float, *, burst_seconds: float, now: float) -> TokenBucket:
    rate = per_minute / MINUTE
    return TokenBucket(rate, max(1.0, rate * burst_seconds), updated=now)


class RateLimiter:
    """RPM and TPM buckets (either may be unlimited) plus a pause honouring Retry-After."""

    def __init__(self, *, rpm: int, tpm: int, burst_seconds: float = 1.0, now: float = 0.0):
        self.rpm, self.tpm = rpm, tpm
        burst = burst_seconds
        self._requests = per_minute_bucket(rpm, burst_seconds=burst, now=now) if rpm else None
        self._tokens = per_minute_bucket(tpm, burst_seconds=burst, now=now) if tpm else None
        self._paused_until = 0.0

    def reserve(self, now: float, tokens: int) -> float:
        """Reserve one request of `tokens` tokens; seconds to wait before calling."""
        waits = [max(0.0, self._paused_until - now)]
        if self._requests is not None:
            waits.append(self._requests.reserve(now))
        if self._tokens is not None:
            waits.append(self._tokens.reserve(now, tokens))
        return max(waits)

    def refund(self, tokens: int) -> None:
        """Give back a reservation that will not be used now."""
        if self._requests is not None:
            self._requests.refund(1)
        if self._tokens is not None:
            self._tokens.refund(tokens)

    def settle(self, now: float, *, estimated: int, actual: int) -> None:
        """Charge the tokens budget for what a call really used instead of the estimate."""
        if self._tokens is None:
            return
        if actual > estimated:
            self._tokens.reserve(now, actual - estimated)
        else:
            self._tokens.refund(estimated - actual)

    def pause_until(self, until: float) -> None:
        """The provider said Retry-After: nobody calls it before `until`."""
        self._paused_until = max(self._paused_until, until)
