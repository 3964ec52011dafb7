"""What the simulated judge says: labelled as simulated, honest about texts it has no truth
for, reproducible, and configured by LLM_PROVIDER_SIMULATED_* with realistic defaults."""

from __future__ import annotations

import asyncio

import numpy as np

from llm_provider.adapters.providers.base import ProviderCall
from llm_provider.adapters.providers.simulated import SimulatedProvider
from llm_provider.config import Config
from llm_provider.domain import simulation
from llm_provider.domain.manifest import ModelSpec, build_manifest
from llm_provider.domain.prompt import Prompt
from llm_provider.domain.simulation import JudgeParams
from llm_provider.domain.verdict import Verdict

CODE = "c0dec0dec0dec0de"  # the essays' fence code (llm_provider.domain.prompt)


def simulated_spec() -> ModelSpec:
    spec = build_manifest().get("simulated", "simulated-judge")
    assert spec is not None
    return spec


SPEC = simulated_spec()
KNOWN = {simulation.text_key("good essay"): 1.0, simulation.text_key("weak essay"): -1.0}


def verdict(provider: SimulatedProvider, a: str, b: str, request_id: str = "r",
            attempt: int = 1) -> Verdict:
    one = ProviderCall(request_id, SPEC, Prompt("sys", (), a, b, CODE), None, 512, attempt=attempt)
    return asyncio.run(provider.judge(one)).verdict


def test_justifications_always_say_the_judge_is_simulated():
    judge = SimulatedProvider(JudgeParams(), truth=KNOWN)
    said = [verdict(judge, "good essay", "weak essay", f"r{i}").justification for i in range(50)]
    assert all(s.startswith(simulation.JUSTIFICATION_PREFIX) for s in said)
    assert not any("no truth" in s for s in said)


def test_a_text_without_truth_is_named_as_arbitrary():
    judge = SimulatedProvider(JudgeParams(), truth=KNOWN)
    one = verdict(judge, "good essay", "a real student's essay").justification
    assert one.startswith(simulation.NO_TRUTH_MARK + " Essay B; its quality is arbitrary")
    both = verdict(SimulatedProvider(JudgeParams()), "one text", "another").justification
    assert both.startswith("Simulated judge: no truth for Essays A and B; their quality is")
    assert judge.quality("a real student's essay") == (
        simulation.latent_quality("a real student's essay"), False)


def test_verdicts_are_reproducible_from_seed_request_and_attempt():
    def answers(seed: int, attempt: int = 1) -> list[Verdict]:
        judge = SimulatedProvider(JudgeParams(), seed=seed, truth=KNOWN)
        return [verdict(judge, "good essay", "weak essay", f"r{i}", attempt) for i in range(40)]

    assert answers(3) == answers(3)
    assert answers(3) != answers(4) and answers(3) != answers(3, attempt=2)


def test_p_a_sides_with_the_verdict_even_on_lapses():
    params = JudgeParams(lapse_rate=0.5)
    rng = np.random.default_rng(7)
    judged = [simulation.judge(3.0, -3.0, params, rng) for _ in range(2_000)]
    assert all((j.winner == "A") == (j.probability_a >= 0.5) for j in judged)
    assert 0.2 < np.mean([j.winner == "B" for j in judged]) < 0.3


def test_defaults_are_realistic_and_the_environment_overrides_them():
    assert Config.from_env({}).simulated == JudgeParams(
        noise_sd=1.5, position_bias=0.3, lapse_rate=0.03)
    assert JudgeParams().noise_sd > 0 and JudgeParams().lapse_rate > 0
    config = Config.from_env({"LLM_PROVIDER_SIMULATED_NOISE_SD": "0",
                              "LLM_PROVIDER_SIMULATED_POSITION_BIAS": "0",
                              "LLM_PROVIDER_SIMULATED_LAPSE_RATE": "0",
                              "LLM_PROVIDER_SIMULATED_QUALITY_SD": "2"})
    assert config.simulated == JudgeParams(quality_sd=2.0, noise_sd=0.0, position_bias=0.0,
                                           lapse_rate=0.0)
