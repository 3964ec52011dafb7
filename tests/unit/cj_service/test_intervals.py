"""Reported 95% intervals: always hold the estimate, agree with the SE, cover the truth."""

import numpy as np
import pytest

from cj_service.domain import design, intervals
from cj_service.domain.bt import Comparisons, fit_bt, sigmoid
from cj_service.domain.bt_prior import fit_bt_evidence


def adaptive_batch(seed: int, *, n: int = 40, k: int = 6, sigma: float = 2.0, soft=False):
    """The service's two-chain design with a probit-noise judge (hard or soft verdicts)."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, sigma, n)

    def judge(a, b):
        z = theta[a] - theta[b] + 0.3 + rng.normal(0.0, 1.7, a.size)
        return sigmoid(z) if soft else (z > 0).astype(float)

    opened = design.opening(np.zeros((design.CHAINS, n), bool), m=n, rng=rng)
    assert opened is not None
    a, b, c = opened
    aa, bb, cc, ys, fits = [a], [b], [c], [judge(a, b)], None
    while sum(x.size for x in aa) < n * k // 2:
        comps = Comparisons.build(
            np.concatenate(aa), np.concatenate(bb), np.concatenate(ys), n_items=n
        )
        fits = design.refit_chains(comps, np.concatenate(cc), fits)
        a, b, c = design.plan(comps, np.concatenate(cc), fits, m=n // 2, rng=rng)
        aa, bb, cc, ys = aa + [a], bb + [b], cc + [c], ys + [judge(a, b)]
    comps = Comparisons.build(np.concatenate(aa), np.concatenate(bb), np.concatenate(ys), n_items=n)
    return theta - theta.mean(), comps


@pytest.mark.parametrize("soft", [False, True])
def test_every_interval_holds_its_estimate_and_agrees_with_its_se(soft):
    for seed in range(3):
        _, comps = adaptive_batch(seed, soft=soft)
        fit = design.fit_scores(comps)
        ci = intervals.score_intervals(comps, fit)
        assert np.all((ci.low <= fit.scores) & (fit.scores <= ci.high))
        np.testing.assert_allclose(ci.high - ci.low, 2 * intervals.Z95 * ci.se)
        assert np.all(ci.se >= fit.se - 1e-12)
        assert np.all(ci.se < 3.0 * fit.se)  # never an unbounded or collapsed interval


def test_an_essay_that_won_everything_gets_a_finite_interval_around_its_score():
    a = np.array([0, 0, 0, 1, 2, 1])
    b = np.array([1, 2, 3, 2, 3, 3])
    comps = Comparisons.build(a, b, np.ones(6), n_items=4)
    fit = fit_bt_evidence(comps)
    ci = intervals.score_intervals(comps, fit)
    assert ci.low[0] <= fit.scores[0] <= ci.high[0]
    assert np.all(np.isfinite(ci.high)) and np.all(ci.se > 0)


def test_coverage_of_the_centred_truth_is_near_95_percent():
    hits, extreme = [], []
    for seed in range(6):
        truth, comps = adaptive_batch(seed, soft=seed % 2 == 1)
        fit = design.fit_scores(comps)
        ci = intervals.score_intervals(comps, fit)
        hit = (ci.low <= truth) & (truth <= ci.high)
        won = np.bincount(comps.idx_a, comps.y > 0.5, 40) + np.bincount(
            comps.idx_b, comps.y < 0.5, 40
        )
        hits.append(hit)
        extreme.append(hit[(won == 0) | (won == comps.per_item())])
    assert 0.91 <= np.concatenate(hits).mean() <= 0.99  # 240 essays: se of a mean ~0.015
    assert np.concatenate(extreme).mean() >= 0.85


def test_only_the_outer_side_of_a_pulled_essay_reaches_past_the_wider_fit():
    _, comps = adaptive_batch(2)
    fit = design.fit_scores(comps)
    wide = intervals.widened_fit(comps, fit, intervals.INTERVAL_PRIOR_FACTOR)
    ci = intervals.score_intervals(comps, fit)
    z = intervals.Z95
    shift = wide.scores - fit.scores
    inner = np.minimum(fit.scores - z * fit.se, wide.scores - z * wide.se)
    outer = wide.scores + z * wide.se + intervals.PULL_EXTRAPOLATION * shift
    up = shift > 0  # pulled down by the prior: the extra reach is upwards only
    np.testing.assert_allclose(ci.low[up], inner[up])
    assert np.all(ci.high[up] >= outer[up] - 1e-12)
    assert np.all(ci.high >= np.maximum(fit.scores + z * fit.se, wide.scores + z * wide.se))
    base = intervals.score_intervals(comps, fit, pull=0.0)
    top = np.argmax(fit.scores)
    assert ci.high[top] > base.high[top] and ci.low[top] == base.low[top]


def test_the_bias_interval_is_centred_on_the_bias_and_spans_four_se():
    _, comps = adaptive_batch(1)
    fit = fit_bt(comps)
    low, high = intervals.bias_interval(float(fit.beta[0]), float(fit.beta_se[0]))
    assert low < fit.beta[0] < high
    assert high - low == pytest.approx(2 * intervals.Z95 * fit.beta_se[0])
