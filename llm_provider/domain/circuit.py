"""A per-provider circuit breaker: closed -> open after repeated failures -> half-open probe.

Pure: callers pass `now`. Only unhealthy failures (5xx, timeouts, connection errors) count;
a success anywhere closes the circuit.
"""

from __future__ import annotations

from dataclasses import dataclass

CLOSED, OPEN, HALF_OPEN = "CLOSED", "OPEN", "HALF_OPEN"


@dataclass
class CircuitBreaker:
    failure_threshold: int
    cooldown: float
    failures: int = 0
    opened_at: float | None = None
    probe_started: float | None = None

    def state(self, now: float) -> str:
        if self.opened_at is None:
            return CLOSED
        return HALF_OPEN if now >= self.opened_at + self.cooldown else OPEN

    def allow(self, now: float) -> bool:
        """True when a call may go out now; in half-open, only one probe at a time."""
        state = self.state(now)
        if state == CLOSED:
            return True
        if state == OPEN:
            return False
        # A probe that never reported back (its worker died) must not wedge the circuit.
        stale = self.probe_started is not None and now - self.probe_started > self.cooldown
        if self.probe_started is None or stale:
            self.probe_started = now
            return True
        return False

    def probing(self) -> bool:
        """Right after allow() said yes: True when that call is the half-open probe."""
        return self.opened_at is not None

    def retry_in(self, now: float) -> float:
        """Seconds until a call might be allowed."""
        if self.opened_at is None:
            return 0.0
        return max(self.opened_at + self.cooldown - now, 0.0) or self.cooldown / 4

    def record_success(self) -> None:
        self.failures, self.opened_at, self.probe_started = 0, None, None

    def record_failure(self, now: float) -> None:
        self.failures += 1
        half_open_probe_failed = self.opened_at is not None and self.probe_started is not None
        if self.failures >= self.failure_threshold or half_open_probe_failed:
            self.opened_at, self.probe_started = now, None

    def release(self) -> None:
        """A probe slot was taken but no call was made (e.g. the rate limiter deferred it)."""
        self.probe_started = None
