"""The simulated judge: a noisy, position-biased, sometimes lapsing judge of a latent quality.

Each essay's true quality theta comes from a truth file mapping sha256(text) to theta, else
it is arbitrary: a standard normal drawn from the text's sha256, times `quality_sd`. A call
perceives the pair as the logit

    z = theta_a - theta_b + position_bias + noise,    noise ~ N(0, noise_sd)

answers the side z points to and reports P(A) = sigmoid(z), as a judge reading its own
logprobs would: noisy around the truth, never on the other side of 0.5 from its answer. With
probability `lapse_rate` the answer is a coin flip instead, held as firmly (P(A) mirrored to
the side chosen). So P(A wins) = lapse/2 + (1 - lapse) * Phi((theta_a - theta_b + bias) /
noise_sd). The defaults agree with the truth on about 82% of random pairs of the bundled
samples (the agreement published for LLM judges against human judges); see
tests/unit/llm_provider/test_llm_simulated_calibration.py. Callers seed the rng from the
request and attempt, so a run is reproducible across restarts.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Protocol

from llm_provider.domain import errors

_NORMAL = NormalDist()
_MAX_U = float(2**64)
JUSTIFICATION_PREFIX = "Simulated judge:"  # every simulated justification starts so
NO_TRUTH_MARK = f"{JUSTIFICATION_PREFIX} no truth for"  # ... and so when an essay has no truth
_ARBITRARY = "a hash of the text, unrelated to the writing"


class Rng(Protocol):
    """What the judge draws from: a numpy Generator, or anything with the same two methods."""

    def random(self) -> float: ...

    def normal(self, loc: float, scale: float) -> float: ...


@dataclass(frozen=True)
class JudgeParams:
    quality_sd: float = 1.5  # spread of the arbitrary quality of texts without truth
    noise_sd: float = 1.5  # sd of the judge's per-call error on the logit scale
    position_bias: float = 0.3  # logit added in favour of whichever essay is shown as A
    lapse_rate: float = 0.03  # share of answers that are coin flips
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


def has_truth(text: str, truth: Mapping[str, float] | None) -> bool:
    return truth is not None and text_key(text) in truth


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
    """One verdict: the side of the perceived logit (a coin flip on a lapse), and its P(A)."""
    seen = theta_a - theta_b + params.position_bias
    if params.noise_sd > 0:
        seen += float(rng.normal(0.0, params.noise_sd))
    if float(rng.random()) < params.lapse_rate:
        seen = math.copysign(abs(seen), float(rng.random()) - 0.5)
    belief = sigmoid(seen)
    return Judgement("A" if seen >= 0 else "B", belief, confidence_for(belief))


def win_probability(theta_a: float, theta_b: float, params: JudgeParams) -> float:
    """The model's P(A wins): lapse/2 + (1 - lapse) * Phi((theta_a - theta_b + bias) / sd)."""
    lead = theta_a - theta_b + params.position_bias
    clear = _NORMAL.cdf(lead / params.noise_sd) if params.noise_sd > 0 else float(lead >= 0)
    return params.lapse_rate / 2 + (1 - params.lapse_rate) * clear


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


def justification(judgement: Judgement, unknown: Sequence[str] = ()) -> str:
    """What the simulated judge says, always opening with JUSTIFICATION_PREFIX; `unknown`
    names the essays ("A", "B") the truth does not know, whose quality is arbitrary."""
    better, worse = ("A", "B") if judgement.winner == "A" else ("B", "A")
    verdict = (f"Essay {better} is judged better than Essay {worse} "
               f"(confidence {judgement.confidence}).")
    if not unknown:
        return f"{JUSTIFICATION_PREFIX} {verdict}"
    return f"{no_truth_note(unknown)} {verdict}"


def no_truth_note(unknown: Sequence[str]) -> str:
    """E.g. 'Simulated judge: no truth for Essay A; its quality is arbitrary (...).'"""
    if len(unknown) == 1:
        return f"{NO_TRUTH_MARK} Essay {unknown[0]}; its quality is arbitrary ({_ARBITRARY})."
    names = " and ".join(unknown)
    return f"{NO_TRUTH_MARK} Essays {names}; their quality is arbitrary ({_ARBITRARY})."
