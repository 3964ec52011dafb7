"""The latency model and the timeout a call gets from it."""

from __future__ import annotations

import pytest

from llm_provider.domain.latency import LatencyModel, call_timeout


def test_no_observations_means_no_prediction_and_the_configured_timeout():
    model = LatencyModel()
    assert model.predict(1_000) is None
    assert call_timeout(120.0, model.predict(1_000)) == 120.0


def test_the_prediction_scales_with_the_calls_size():
    model = LatencyModel()
    model.observe(10.0, tokens=2_000)
    assert model.predict(2_000) == pytest.approx(10.0)
    assert model.predict(4_000) == pytest.approx(20.0)


def test_a_high_quantile_ignores_one_outlier_but_follows_a_slower_server():
    model = LatencyModel(window=20, quantile=0.9)
    for _ in range(19):
        model.observe(1.0, tokens=100)
    model.observe(50.0, tokens=100)
    assert model.predict(100) == pytest.approx(1.0)
    for _ in range(10):
        model.observe(4.0, tokens=100)
    assert model.predict(100) == pytest.approx(4.0)


def test_the_window_forgets_old_calls():
    model = LatencyModel(window=4)
    for _ in range(4):
        model.observe(9.0, tokens=1)
    for _ in range(4):
        model.observe(1.0, tokens=1)
    assert model.samples == 4 and model.predict(1) == pytest.approx(1.0)


def test_zero_durations_and_tokens_are_safe():
    model = LatencyModel()
    model.observe(0.0, tokens=10)
    assert model.samples == 0
    model.observe(2.0, tokens=0)
    assert model.predict(0) == pytest.approx(2.0)


@pytest.mark.parametrize(("predicted", "expected"), [
    (None, 30.0),  # nothing learnt yet
    (5.0, 30.0),  # 3 x 5 s is below the configured timeout
    (20.0, 60.0),  # 3 x 20 s
    (500.0, 300.0),  # capped at 10 x configured
])
def test_the_timeout_is_the_larger_of_configured_and_safety_times_predicted_capped(
    predicted, expected
):
    assert call_timeout(30.0, predicted, safety=3.0, cap_factor=10.0) == pytest.approx(expected)


def test_a_queueing_server_raises_the_timeout_instead_of_timing_out_again():
    # 10.5 s of compute per call measured as 103 s under queueing: the timeout follows.
    model = LatencyModel()
    for _ in range(10):
        model.observe(103.0, tokens=3_000)
    assert call_timeout(120.0, model.predict(3_000)) == pytest.approx(309.0)


async def test_each_model_gets_one_gate_of_its_max_concurrency_and_none_when_unlimited():
    from dataclasses import replace

    from llm_provider.domain.manifest import build_manifest
    from llm_provider.service.models import ModelRuntimes

    spec = build_manifest().get("simulated", "simulated-judge")
    assert spec is not None
    runtimes = ModelRuntimes()
    assert runtimes.of(spec).gate is None
    one = replace(spec, model_id="one-slot", max_concurrency=1)
    runtime = runtimes.of(one)
    assert runtimes.of(one) is runtime and runtime.gate is not None
    async with runtime.slot() as waited:
        assert waited < 0.1 and runtime.gate.locked()
    assert not runtime.gate.locked()
