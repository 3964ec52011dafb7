"""The in-process simulated judge (see llm_provider.domain.simulation for the model).

Reproducible: each call's randomness is seeded from (seed, request_id, attempt), so a
restarted service gives the same verdicts, latencies and faults for the same requests.
Token counts are estimated from the prompt text, so priced simulated models report
non-trivial costs.
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
        self._thetas: dict[str, float] = {}

    def payload(self, call: ProviderCall) -> dict[str, Any]:
        return {"model": call.spec.model_id, "system": call.prompt.system,
                "user": call.prompt.user_text(), "temperature": call.temperature,
                "max_tokens": call.max_tokens}

    def prompt_sha256(self, call: ProviderCall) -> str:
        # The simulated judge's "wire payload" is these fields; hashing them joined by a
        # separator is as exact as hashing their JSON, and several times cheaper per call.
        parts = (call.spec.model_id, call.prompt.system, call.prompt.user_text(),
                 repr(call.temperature), str(call.max_tokens))
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()

    def theta(self, text: str) -> float:
        theta = self._thetas.get(text)
        if theta is None:
            if len(self._thetas) > 100_000:
                self._thetas.clear()
            theta = simulation.latent_quality(text, quality_sd=self.params.quality_sd,
                                              truth=self._truth)
            self._thetas[text] = theta
        return theta

    async def judge(self, call: ProviderCall) -> ProviderReply:
        rng = simulation.DigestRng(self._seed, call.request_id, str(call.attempt))
        delay = simulation.latency_s(self.params, rng)
        fault = simulation.fault(self.params, rng)
        if delay > 0:
            await self._sleep(delay)
        if fault is not None:
            raise ProviderFailure(fault.kind, f"simulated HTTP {fault.http_status or 'timeout'}",
                                  http_status=fault.http_status, retry_after=fault.retry_after)
        prompt = call.prompt
        judged = simulation.judge(self.theta(prompt.essay_a), self.theta(prompt.essay_b),
                                  self.params, rng)
        text = simulation.justification(judged)
        p_a = judged.probability_a if call.spec.has(LOGPROBS) else None
        usage = Usage(prompt.estimated_tokens(), estimate_tokens(text) + ANSWER_OVERHEAD_TOKENS)
        return ProviderReply(Verdict(judged.winner, judged.confidence, text, p_a), usage)
