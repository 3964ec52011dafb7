"""The in-process simulated judge (see llm_provider.domain.simulation for the model).

Reproducible: each call's randomness is seeded from (seed, request_id, attempt), so a
restarted service gives the same verdicts, latencies and faults for the same requests.
Token counts are estimated from the prompt text, so priced simulated models report
non-trivial costs. Justifications start with "Simulated judge:" and say when an essay has no
truth (its quality is then arbitrary), so no output can pass them off as a real judge's.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from llm_provider.adapters.providers.base import Provider, ProviderCall, ProviderReply
from llm_provider.config import SIMULATED
from llm_provider.domain import simulation
from llm_provider.domain.errors import ProviderFailure
from llm_provider.domain.manifest import LOGPROBS
from llm_provider.domain.simulation import JudgeParams
from llm_provider.domain.usage import Usage, estimate_tokens
from llm_provider.domain.verdict import Verdict

Sleep = Callable[[float], Awaitable[None]]
ANSWER_OVERHEAD_TOKENS = 12  # the JSON keys and quotes around a verdict


def load_truth(path: str) -> dict[str, float]:
    """A truth file: JSON object mapping sha256(essay text) to theta."""
    if not path:
        return {}
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    return {str(k): float(v) for k, v in raw.items()}


class SimulatedProvider(Provider):
    name = SIMULATED

    def __init__(self, params: JudgeParams, *, seed: int = 0,
                 truth: Mapping[str, float] | None = None, sleep: Sleep = asyncio.sleep):
        self.params = params
        self._seed = seed
        self._truth = dict(truth or {})
        self._sleep = sleep
        self._qualities: dict[str, tuple[float, bool]] = {}

    def payload(self, call: ProviderCall) -> dict[str, Any]:
        return {"model": call.spec.model_id, "system": call.prompt.system_text(),
                "user": call.prompt.user_text(), "temperature": call.temperature,
                "max_tokens": call.max_tokens}

    def prompt_sha256(self, call: ProviderCall) -> str:
        # The simulated judge's "wire payload" is these fields; hashing them joined by a
        # separator is as exact as hashing their JSON, and several times cheaper per call.
        parts = (call.spec.model_id, call.prompt.system_text(), call.prompt.user_text(),
                 repr(call.temperature), str(call.max_tokens))
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()

    def theta(self, text: str) -> float:
        return self.quality(text)[0]

    def quality(self, text: str) -> tuple[float, bool]:
        """(theta, whether the truth knows the text); cached per text."""
        found = self._qualities.get(text)
        if found is None:
            if len(self._qualities) > 100_000:
                self._qualities.clear()
            theta = simulation.latent_quality(text, quality_sd=self.params.quality_sd,
                                              truth=self._truth)
            found = (theta, simulation.has_truth(text, self._truth))
            self._qualities[text] = found
        return found

    async def judge(self, call: ProviderCall) -> ProviderReply:
        rng = simulation.DigestRng(self._seed, call.request_id, str(call.attempt))
        delay = simulation.latency_s(self.params, rng)
        fault = simulation.fault(self.params, rng)
        if delay > 0:
            await self._sleep(delay)
        if fault is not None:
            raise ProviderFailure(fault.kind, f"simulated HTTP {fault.http_status or 'timeout'}",
                                  http_status=fault.http_status, retry_after=fault.retry_after)
        verdict = self._verdict(call, rng)
        usage = Usage(call.prompt.estimated_tokens(),
                      estimate_tokens(verdict.justification) + ANSWER_OVERHEAD_TOKENS)
        return ProviderReply(verdict, usage)

    def _verdict(self, call: ProviderCall, rng: simulation.Rng) -> Verdict:
        (theta_a, known_a), (theta_b, known_b) = (self.quality(call.prompt.essay_a),
                                                  self.quality(call.prompt.essay_b))
        judged = simulation.judge(theta_a, theta_b, self.params, rng)
        unknown = [name for name, known in (("A", known_a), ("B", known_b)) if not known]
        p_a = judged.probability_a if call.spec.has(LOGPROBS) else None
        return Verdict(judged.winner, judged.confidence,
                       simulation.justification(judged, unknown), p_a)
