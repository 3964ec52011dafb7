"""Position-bias drift across a batch (cj_service.domain.drift)."""

import math

import numpy as np
import pytest

from cj_service.domain.bt import Comparisons, fit_bt, sigmoid
from cj_service.domain.drift import (
    MIN_DRIFT_VERDICTS,
    BiasPeriod,
    DriftReport,
    bias_drift,
    firth_offset,
)


def batch(seed, *, n=60, m=2000, beta=0.3, drift=0.0, soft=False):
    """Random pairs in judging order; the judge's bias moves by `drift` over the batch."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, 1.5, n)
    a = rng.integers(0, n, m)
    b = (a + rng.integers(1, n, m)) % n
    t = np.arange(m) / (m - 1)
    p = sigmoid(theta[a] - theta[b] + beta + drift * (t - 0.5))
    y = sigmoid(np.log(p / (1 - p)) + rng.normal(0, 0.5, m)) if soft else rng.random(m) < p
    comps = Comparisons.build(a, b, y.astype(float), n_items=n)
    return comps, fit_bt(comps, prior_sd=1.5)


def report(comps, fit, **kw) -> DriftReport:
    return bias_drift(comps.idx_a, comps.idx_b, comps.y, None, fit.scores, **kw)


def test_a_constant_bias_is_not_flagged():
    comps, fit = batch(1)
    r = report(comps, fit, prior_sd=fit.prior_sd)
    assert not r.bias_drift_flagged
    assert abs(r.bias_drift) < 1.96 * r.bias_drift_se
    assert 0.1 < r.bias_drift_se < 0.4
    assert all(abs(p.position_bias - 0.3) < 3 * p.position_bias_se for p in r.bias_by_period)


def test_a_strong_drift_is_flagged_and_estimated():
    comps, fit = batch(2, drift=2.0)
    r = report(comps, fit, prior_sd=fit.prior_sd)
    assert r.bias_drift_flagged
    assert abs(r.bias_drift - 2.0) < 3 * r.bias_drift_se
    biases = [p.position_bias for p in r.bias_by_period]
    assert biases == sorted(biases)  # rises quarter by quarter
    shares = [p.a_share for p in r.bias_by_period]
    assert shares[-1] > shares[0]


def test_the_joint_refit_recovers_what_fixed_scores_absorb():
    """Fixed scores soak up part of a drift (random orientation, few verdicts per essay):
    the joint refit's estimate is larger, and its SE too (the scores are profiled out)."""
    comps, fit = batch(3, n=150, m=750, drift=2.0)
    joint = report(comps, fit, prior_sd=fit.prior_sd)
    fixed = report(comps, fit, refit=False)
    assert fixed.bias_drift < joint.bias_drift
    assert fixed.bias_drift_se < joint.bias_drift_se


def test_periods_partition_the_verdicts_in_judging_order():
    comps, fit = batch(4, m=1001)
    r = report(comps, fit)
    assert [(p.first_comparison, p.end_comparison) for p in r.bias_by_period] == [
        (0, 250), (250, 500), (500, 751), (751, 1001)
    ]  # fmt: skip
    hard = comps.y[250:500]
    assert r.bias_by_period[1].a_share == pytest.approx(hard.mean())


def test_order_sorts_the_verdicts():
    comps, fit = batch(5, m=400, drift=1.0)
    perm = np.random.default_rng(0).permutation(comps.size)
    shuffled = bias_drift(comps.idx_a[perm], comps.idx_b[perm], comps.y[perm], perm, fit.scores)
    assert shuffled == report(comps, fit)


def test_no_verdicts_give_no_periods_and_no_flag():
    empty = np.array([], dtype=np.int64)
    r = bias_drift(empty, empty, np.array([]), None, np.zeros(3))
    assert r == DriftReport((), 0.0, math.inf, False)


def test_fewer_verdicts_than_periods_leave_empty_periods_out():
    r = bias_drift(np.array([0, 1, 2]), np.array([1, 2, 0]), np.array([1.0, 0.0, 1.0]),
                   np.array([3, 1, 2]), np.zeros(3))  # fmt: skip
    assert [(p.first_comparison, p.end_comparison) for p in r.bias_by_period] == [
        (0, 1), (1, 2), (2, 3)
    ]  # fmt: skip
    assert [p.a_share for p in r.bias_by_period] == [0.0, 1.0, 1.0]  # sorted by order
    assert all(np.isfinite(p.position_bias) and p.position_bias_se > 1 for p in r.bias_by_period)
    assert r.bias_drift_se == math.inf and not r.bias_drift_flagged


def test_too_few_verdicts_for_a_drift():
    comps, fit = batch(6, m=MIN_DRIFT_VERDICTS - 1, drift=5.0)
    r = report(comps, fit)
    assert len(r.bias_by_period) == 4
    assert r.bias_drift_se == math.inf and not r.bias_drift_flagged


def test_one_period_is_the_whole_batch():
    comps, fit = batch(7, m=500)
    (only,) = report(comps, fit, periods=1).bias_by_period
    assert (only.first_comparison, only.end_comparison) == (0, 500)
    assert abs(only.position_bias - 0.3) < 3 * only.position_bias_se


def test_all_a_verdicts_stay_finite_and_are_not_a_drift():
    rng = np.random.default_rng(8)
    a = rng.integers(0, 20, 200)
    b = (a + rng.integers(1, 20, 200)) % 20
    for refit in (True, False):
        r = bias_drift(a, b, np.ones(200), None, np.zeros(20), refit=refit)
        assert all(p.a_share == 1.0 for p in r.bias_by_period)
        assert all(np.isfinite(p.position_bias) and p.position_bias > 2 for p in r.bias_by_period)
        assert np.isfinite(r.bias_drift) and not r.bias_drift_flagged


def test_soft_verdicts_carry_more_information_than_hard_ones():
    soft, fit = batch(9, m=1000, drift=1.0, soft=True)
    hard = Comparisons.build(soft.idx_a, soft.idx_b, (soft.y > 0.5).astype(float), n_items=60)
    r_soft, r_hard = report(soft, fit), report(hard, fit)
    assert r_soft.bias_drift_se < r_hard.bias_drift_se
    assert abs(r_soft.bias_drift - 1.0) < 3 * r_soft.bias_drift_se


def test_firth_offset_matches_the_truth_on_plenty_of_data():
    rng = np.random.default_rng(10)
    offset = rng.normal(0, 2, 20000)
    t = rng.random(20000)
    y = (rng.random(20000) < sigmoid(offset + 0.4 - 0.8 * t)).astype(float)
    coef, cov = firth_offset(np.column_stack([np.ones_like(t), t]), offset, y)
    assert np.all(np.abs(coef - [0.4, -0.8]) < 3 * np.sqrt(np.diag(cov)))


def test_mismatched_inputs_are_refused():
    with pytest.raises(ValueError):
        bias_drift(np.array([0]), np.array([1, 2]), np.array([1.0]), None, np.zeros(3))
    with pytest.raises(ValueError):
        bias_drift(np.array([0]), np.array([1]), np.array([1.0]), np.array([1, 2]), np.zeros(3))


def test_report_maps_onto_the_contract():
    from contracts.huleedu.cj.v1 import cj_pb2

    comps, fit = batch(11, m=300)
    r = report(comps, fit)
    msg = cj_pb2.FitStatistics(
        bias_by_period=[cj_pb2.BiasPeriod(**vars(p)) for p in r.bias_by_period],
        bias_drift=r.bias_drift,
        bias_drift_se=r.bias_drift_se,
        bias_drift_flagged=r.bias_drift_flagged,
    )
    assert len(msg.bias_by_period) == 4 and isinstance(r.bias_by_period[0], BiasPeriod)
