"""The simulated judge: a Bradley-Terry judge over a latent quality per essay.

Each essay's true quality theta is a deterministic function of its text (a standard normal
drawn from the text's sha256, times `quality_sd`) unless a truth file maps sha256(text) to
theta. A call prefers A with probability

    p = lapse / 2 + (1 - lapse) * sigmoid(theta_a - theta_b + position_bias + noise)

where noise ~ N(0, noise_sd) is the judge's per-call inconsistency. Callers seed the rng from
the request and attempt, so a run is reproducible across restarts.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import Protocol

from llm_provider.domain import errors

_NORMAL = NormalDist()
_MAX_U = float(2**64)


class Rng(Protocol):
    """What the judge draws from: a numpy Generator, or anything with the same two methods."""

    def random(self) -> float: ...

    def normal(self, loc: float, scale: float) -> float: ...


@dataclass(frozen=True)
class JudgeParams:
    quality_sd: float = 1.5
    noise_sd: float = 0.0
    position_bias: float = 0.0
    lapse_rate: float = 0.0
    latency_ms: float = 0.0
    latency_sigma: float = 0.0  # lognormal spread around the median latency_ms; 0 = fixed
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_timeout: float = 0.0
    retry_after_s: float = 1.0


@dataclass(frozen=True)
class Judgement:
    winner: str  # "A" or "B"
    probability_a: float  # the judge's belief, what logprobs would show
    confidence: int


@dataclass(frozen=True)
class Fault:
    kind: str
    http_status: int
    retry_after: float | None = None


def text_key(text: str) -> str:
    """The truth-file key of an essay: hex sha256 of its UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def latent_quality(text: str, *, quality_sd: float = 1.5,
                   truth: Mapping[str, float] | None = None) -> float:
    """True quality of an essay: from the truth file, else a normal deviate of its hash."""
    key = text_key(text)
    if truth is not None and key in truth:
        return float(truth[key])
    u = (int(key[:16], 16) + 0.5) / _MAX_U
    return quality_sd * _NORMAL.inv_cdf(u)


def call_seed(seed: int, *parts: str) -> int:
    digest = hashlib.sha256("\x1f".join([str(seed), *parts]).encode()).digest()
    return int.from_bytes(digest[:8], "big")


class DigestRng:
    """A tiny deterministic generator for one call: uniforms are successive 64-bit words of
    a sha256 chain over (seed, parts). Creating it costs one hash, where seeding a general
    purpose generator costs far more, and a call needs only a handful of draws."""

    def __init__(self, seed: int, *parts: str):
        self._digest = hashlib.sha256("\x1f".join([str(seed), *parts]).encode()).digest()
        self._offset = 0

    def random(self) -> float:
        if self._offset == len(self._digest):
            self._digest, self._offset = hashlib.sha256(self._digest).digest(), 0
        word = int.from_bytes(self._digest[self._offset:self._offset + 8], "big")
        self._offset += 8
        return (word + 0.5) / _MAX_U

    def normal(self, loc: float, scale: float) -> float:
        return loc + scale * _NORMAL.inv_cdf(self.random())


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def judge(theta_a: float, theta_b: float, params: JudgeParams,
          rng: Rng) -> Judgement:
    noise = float(rng.normal(0.0, params.noise_sd)) if params.noise_sd > 0 else 0.0
    belief = sigmoid(theta_a - theta_b + params.position_bias + noise)
    p_a = params.lapse_rate / 2 + (1 - params.lapse_rate) * belief
    winner = "A" if rng.random() < p_a else "B"
    return Judgement(winner, belief, confidence_for(belief))


def confidence_for(p_a: float) -> int:
    """1 near a coin flip, 5 near certainty."""
    return min(5, 1 + int(abs(2.0 * p_a - 1.0) * 5))


def latency_s(params: JudgeParams, rng: Rng) -> float:
    if params.latency_ms <= 0:
        return 0.0
    if params.latency_sigma <= 0:
        return params.latency_ms / 1000.0
    return float(params.latency_ms * math.exp(rng.normal(0.0, params.latency_sigma))) / 1000.0


def fault(params: JudgeParams, rng: Rng) -> Fault | None:
    """An injected failure for this call, or None; the mix is 429, then 500, then timeout."""
    u = float(rng.random())
    if u < params.rate_429:
        return Fault(errors.RATE_LIMITED, 429, params.retry_after_s)
    u -= params.rate_429
    if u < params.rate_500:
        return Fault(errors.PROVIDER_ERROR, 500)
    u -= params.rate_500
    if u < params.rate_timeout:
        return Fault(errors.TIMEOUT, 0)
    return None


def justification(judgement: Judgement) -> str:
    better, worse = ("A", "B") if judgement.winner == "A" else ("B", "A")
    return (f"Essay {better} argues its case more clearly and with better support than "
            f"Essay {worse} (simulated judge, confidence {judgement.confidence}).")
