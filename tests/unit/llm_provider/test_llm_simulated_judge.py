"""The simulated judge: deterministic truth, seeded draws, bias, lapses, latency and faults."""

from __future__ import annotations

import asyncio
import json
import statistics

import numpy as np
import pytest

from llm_provider.adapters.providers.base import ProviderCall
from llm_provider.adapters.providers.simulated import SimulatedProvider, load_truth
from llm_provider.domain import errors, simulation
from llm_provider.domain.errors import ProviderFailure
from llm_provider.domain.manifest import build_manifest
from llm_provider.domain.prompt import Prompt
from llm_provider.domain.simulation import JudgeParams

CODE = "c0dec0dec0dec0de"  # the essays' fence code (llm_provider.domain.prompt)

MANIFEST = build_manifest()


def call(request_id: str, a: str = "good essay", b: str = "weak essay", *, attempt: int = 1,
         model: str = "simulated-judge") -> ProviderCall:
    spec = MANIFEST.get("simulated", model)
    assert spec is not None
    return ProviderCall(request_id, spec, Prompt("sys", (), a, b, CODE), None, 512, attempt=attempt)


def run(provider: SimulatedProvider, one: ProviderCall):
    return asyncio.run(provider.judge(one))


def test_quality_is_a_deterministic_function_of_the_text():
    assert simulation.latent_quality("an essay") == simulation.latent_quality("an essay")
    spread = [simulation.latent_quality(f"essay {i}") for i in range(4_000)]
    assert abs(statistics.mean(spread)) < 0.1
    assert statistics.stdev(spread) == pytest.approx(1.5, rel=0.05)


def test_a_truth_file_overrides_the_hash(tmp_path):
    path = tmp_path / "truth.json"
    path.write_text(json.dumps({simulation.text_key("an essay"): 2.5}))
    truth = load_truth(str(path))
    assert simulation.latent_quality("an essay", truth=truth) == 2.5
    assert simulation.latent_quality("other", truth=truth) == simulation.latent_quality("other")


def test_the_same_request_and_attempt_give_the_same_answer_after_a_restart():
    close = JudgeParams(quality_sd=0.2)  # near coin flips, so the seed decides
    first = [run(SimulatedProvider(close, seed=3), call(f"r{i}")) for i in range(20)]
    again = [run(SimulatedProvider(close, seed=3), call(f"r{i}")) for i in range(20)]
    assert first == again
    other_seed = [run(SimulatedProvider(close, seed=4), call(f"r{i}")) for i in range(20)]
    assert [r.verdict.winner for r in other_seed] != [r.verdict.winner for r in first]


def test_the_better_essay_wins_as_often_as_the_model_says():
    params = JudgeParams()
    judge = SimulatedProvider(params, truth={
        simulation.text_key("good essay"): 1.0, simulation.text_key("weak essay"): 0.0})
    wins = sum(run(judge, call(f"r{i}")).verdict.winner == "A" for i in range(2_000))
    assert wins / 2_000 == pytest.approx(simulation.win_probability(1.0, 0.0, params), abs=0.03)


def test_position_bias_and_lapses_shift_the_odds():
    rng = np.random.default_rng(1)
    biased = JudgeParams(position_bias=0.8, lapse_rate=0.0)
    share = np.mean([simulation.judge(0.0, 0.0, biased, rng).winner == "A" for _ in range(4_000)])
    assert share == pytest.approx(simulation.win_probability(0.0, 0.0, biased), abs=0.03)
    assert share > 0.65
    lapsing = JudgeParams(lapse_rate=1.0)
    share = np.mean([simulation.judge(5.0, -5.0, lapsing, rng).winner == "A" for _ in range(4_000)])
    assert share == pytest.approx(0.5, abs=0.03)


def test_without_noise_bias_or_lapses_the_judge_is_an_oracle():
    exact = JudgeParams(noise_sd=0.0, position_bias=0.0, lapse_rate=0.0)
    rng = np.random.default_rng(4)
    judged = [simulation.judge(0.1, -0.1, exact, rng) for _ in range(200)]
    assert {j.winner for j in judged} == {"A"}
    assert {j.probability_a for j in judged} == {simulation.sigmoid(0.2)}


def test_the_error_mix_happens_at_its_rates():
    params = JudgeParams(rate_429=0.2, rate_500=0.1, rate_timeout=0.1)
    rng = np.random.default_rng(2)
    kinds = [getattr(simulation.fault(params, rng), "kind", None) for _ in range(10_000)]
    assert kinds.count(errors.RATE_LIMITED) / 10_000 == pytest.approx(0.2, abs=0.015)
    assert kinds.count(errors.PROVIDER_ERROR) / 10_000 == pytest.approx(0.1, abs=0.015)
    assert kinds.count(errors.TIMEOUT) / 10_000 == pytest.approx(0.1, abs=0.015)


def test_faults_surface_as_provider_failures_after_the_latency():
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    judge = SimulatedProvider(JudgeParams(latency_ms=2_000, rate_429=1.0, retry_after_s=3.0),
                              sleep=sleep)
    with pytest.raises(ProviderFailure) as caught:
        run(judge, call("r"))
    assert (caught.value.kind, caught.value.http_status, caught.value.retry_after) == (
        errors.RATE_LIMITED, 429, 3.0)
    assert slept == [2.0]


def test_latency_spreads_around_its_median_when_asked():
    params = JudgeParams(latency_ms=1_000, latency_sigma=0.5)
    rng = np.random.default_rng(3)
    draws = [simulation.latency_s(params, rng) for _ in range(4_000)]
    assert statistics.median(draws) == pytest.approx(1.0, rel=0.05) and max(draws) > 2.0


def test_answers_carry_p_a_confidence_and_estimated_tokens():
    reply = run(SimulatedProvider(JudgeParams()), call("r", model="simulated-priced"))
    assert reply.verdict.probability_a is not None and 1 <= reply.verdict.confidence <= 5
    assert reply.usage.prompt > 0 and reply.usage.completion > 0
    assert reply.verdict.justification
