"""How long a model takes, learned from its recent calls, and the timeout a call gets.

Pure: callers feed observations (seconds, tokens) and ask for a prediction. Latency is
modelled as seconds per token of prompt plus output, and the prediction is a high quantile
of the recent calls' rate times the new call's size, so one slow outlier does not move it
but a server that got slower (or queues behind other clients) does. A call that timed out
is fed in too, as the lower bound it is: when many do, timeouts grow instead of repeating.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

WINDOW = 64
QUANTILE = 0.9
SAFETY = 3.0
CAP_FACTOR = 10.0


@dataclass
class LatencyModel:
    window: int = WINDOW
    quantile: float = QUANTILE
    _rates: deque[float] = field(default_factory=deque, repr=False)

    def observe(self, seconds: float, tokens: int) -> None:
        """One finished (or timed-out) call of `tokens` prompt + output tokens."""
        if seconds <= 0:
            return
        self._rates.append(seconds / max(tokens, 1))
        while len(self._rates) > self.window:
            self._rates.popleft()

    @property
    def samples(self) -> int:
        return len(self._rates)

    def seconds_per_token(self) -> float | None:
        """The `quantile` of the recent rates; None before any observation."""
        if not self._rates:
            return None
        ordered = sorted(self._rates)
        return ordered[min(len(ordered) - 1, int(self.quantile * len(ordered)))]

    def predict(self, tokens: int) -> float | None:
        """Seconds a call of `tokens` prompt + output tokens may take (None: no data yet)."""
        rate = self.seconds_per_token()
        return None if rate is None else rate * max(tokens, 1)


def call_timeout(configured: float, predicted: float | None, *, safety: float = SAFETY,
                 cap_factor: float = CAP_FACTOR) -> float:
    """max(configured, safety x predicted), never above cap_factor x configured."""
    if predicted is None:
        return configured
    return min(max(configured, safety * predicted), cap_factor * configured)
