"""The default simulated judge, measured on the bundled samples through their truth file.

Random pairs of the 32 bundled texts (samples/quality.csv, truth from samples/truth.json as
LLM_PROVIDER_SIMULATED_TRUTH_FILE gives it) are judged by the provider with default params:
it must agree with the truth about as often as LLM judges agree with human judges (80-85%),
favour the essay shown as A, lapse now and then, and report a P(A) that is noisy around the
truth but always on its verdict's side.
"""

from __future__ import annotations

import asyncio
import csv
import math
from pathlib import Path

import numpy as np
import pytest

from llm_provider.adapters.providers.base import ProviderCall
from llm_provider.adapters.providers.simulated import SimulatedProvider, load_truth
from llm_provider.domain import simulation
from llm_provider.domain.manifest import ModelSpec, build_manifest
from llm_provider.domain.prompt import Prompt
from llm_provider.domain.simulation import JudgeParams
from llm_provider.domain.verdict import Verdict

CODE = "c0dec0dec0dec0de"  # the essays' fence code (llm_provider.domain.prompt)

SAMPLES = Path(__file__).resolve().parents[3] / "samples"


def simulated_spec() -> ModelSpec:
    spec = build_manifest().get("simulated", "simulated-judge")
    assert spec is not None
    return spec


SPEC = simulated_spec()
DEFAULTS = JudgeParams()
N_PAIRS = 6_000


def bundled_texts() -> list[str]:
    rows = csv.DictReader((SAMPLES / "quality.csv").read_text().splitlines())
    return [(SAMPLES / row["file"]).read_text(encoding="utf-8") for row in rows]


@pytest.fixture(scope="module")
def judge() -> SimulatedProvider:
    return SimulatedProvider(DEFAULTS, seed=5, truth=load_truth(str(SAMPLES / "truth.json")))


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return bundled_texts()


def verdicts(judge: SimulatedProvider, pairs: list[tuple[str, str]], tag: str) -> list[Verdict]:
    calls = [ProviderCall(f"{tag}-{i}", SPEC, Prompt("sys", (), a, b, CODE), None, 512)
             for i, (a, b) in enumerate(pairs)]

    async def all_of() -> list[Verdict]:
        return [(await judge.judge(one)).verdict for one in calls]

    return asyncio.run(all_of())


def random_pairs(texts: list[str], n: int, seed: int) -> list[tuple[str, str]]:
    rng = np.random.default_rng(seed)
    firsts = rng.integers(0, len(texts), n)
    seconds = (firsts + rng.integers(1, len(texts), n)) % len(texts)
    return [(texts[i], texts[j]) for i, j in zip(firsts, seconds, strict=True)]


@pytest.fixture(scope="module")
def judged(judge, texts) -> list[tuple[float, float, Verdict]]:
    """(theta_a, theta_b, verdict) of N_PAIRS random ordered pairs of distinct texts."""
    pairs = random_pairs(texts, N_PAIRS, seed=11)
    return [(judge.theta(a), judge.theta(b), v)
            for (a, b), v in zip(pairs, verdicts(judge, pairs, "pair"), strict=True)]


def right(theta_a: float, theta_b: float, verdict: Verdict) -> bool:
    return (verdict.winner == "A") == (theta_a > theta_b)


def test_every_bundled_text_has_a_truth(judge, texts):
    assert len(texts) == 32 and all(judge.quality(t)[1] for t in texts)


def test_the_default_judge_agrees_with_the_truth_80_to_85_percent(judged):
    agreement = np.mean([right(*one) for one in judged])
    expected = np.mean([simulation.win_probability(max(a, b), min(a, b), JudgeParams(
        position_bias=0.0)) for a, b, _ in judged])
    assert 0.80 <= agreement <= 0.85
    assert agreement == pytest.approx(expected, abs=0.015)


def test_the_default_judge_favours_the_essay_shown_first(judge, texts, judged):
    better_first = [right(a, b, v) for a, b, v in judged if a > b]
    better_second = [right(a, b, v) for a, b, v in judged if a < b]
    assert np.mean(better_first) - np.mean(better_second) > 0.03
    twins = verdicts(judge, [(t, t) for t in texts] * 125, "twin")  # no difference to see
    share_a = np.mean([v.winner == "A" for v in twins])
    assert share_a == pytest.approx(simulation.win_probability(0.0, 0.0, DEFAULTS), abs=0.03)
    assert share_a > 0.54


def test_the_default_judge_lapses_on_pairs_it_cannot_get_wrong(judge, texts):
    worst, best = texts[0], texts[-1]  # F anchor (-3.0) against essay_09 (2.6)
    pairs = [(worst, best), (best, worst)] * 4_000
    wrong = np.mean([v.winner != ("A" if a == best else "B")
                     for (a, _), v in zip(pairs, verdicts(judge, pairs, "far"), strict=True)])
    assert wrong == pytest.approx(DEFAULTS.lapse_rate / 2, abs=0.005)
    assert wrong > 0.007


def test_p_a_is_noisy_around_the_truth_and_never_contradicts_the_verdict(judged):
    assert all((v.winner == "A") == (v.probability_a >= 0.5) for _, _, v in judged)
    residual = np.array([math.log(v.probability_a / (1 - v.probability_a))
                         - (a - b + DEFAULTS.position_bias) for a, b, v in judged])
    spread = 1.4826 * np.median(np.abs(residual - np.median(residual)))  # robust to lapses
    assert spread == pytest.approx(DEFAULTS.noise_sd, rel=0.1)
    assert len({round(v.probability_a, 6) for _, _, v in judged}) > N_PAIRS * 0.9
