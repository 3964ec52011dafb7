"""Bradley-Terry fit: agreement with choix, finite SEs whatever the graph, bias, soft verdicts."""

import choix
import numpy as np
import pytest
from scipy.stats import spearmanr

from cj_service.domain import bt_linalg
from cj_service.domain.bt import Comparisons, fit_bt, sigmoid


def simulate(n, m, *, sigma=1.5, beta=0.0, seed=0):
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, sigma, n)
    a = rng.integers(0, n, m)
    b = (a + rng.integers(1, n, m)) % n
    y = (rng.random(m) < sigmoid(theta[a] - theta[b] + beta)).astype(float)
    return theta, Comparisons.build(a, b, y, n_items=n)


def test_scores_agree_with_choix_on_the_same_verdicts():
    _, comps = simulate(40, 600, seed=1)
    fit = fit_bt(comps, prior_sd=10.0, estimate_bias=False)
    won = comps.y > 0.5
    data = list(
        zip(
            np.where(won, comps.idx_a, comps.idx_b).tolist(),
            np.where(won, comps.idx_b, comps.idx_a).tolist(),
            strict=True,
        )
    )
    ref = choix.ilsr_pairwise(40, data, alpha=1.0 / 100.0)
    assert spearmanr(fit.scores, ref)[0] > 0.99
    assert np.corrcoef(fit.scores, ref)[0, 1] > 0.99


def test_scores_are_centred_and_recover_the_truth():
    theta, comps = simulate(100, 3000, seed=2)
    fit = fit_bt(comps)
    assert fit.converged
    assert abs(fit.scores.mean()) < 1e-9
    assert spearmanr(fit.scores, theta)[0] > 0.9


def test_every_essay_gets_a_finite_score_and_positive_se_on_a_disconnected_graph():
    # essays 0-1 and 2-3 are two components; 4 won everything; 5 was never compared
    a = np.array([0, 2, 4, 4, 4])
    b = np.array([1, 3, 0, 1, 2])
    fit = fit_bt(Comparisons.build(a, b, np.ones(5), n_items=6))
    assert np.all(np.isfinite(fit.scores))
    assert np.all(fit.se > 0.05)
    assert fit.scores[4] == fit.scores.max()
    assert fit.n_comparisons.tolist() == [2, 2, 2, 1, 3, 0]


def test_position_bias_is_recovered_within_its_standard_error():
    _, comps = simulate(150, 6000, beta=0.5, seed=3)
    fit = fit_bt(comps)
    assert abs(fit.beta[0] - 0.5) < 3 * fit.beta_se[0]
    assert 0.0 < fit.beta_se[0] < 0.1


def test_a_soft_verdict_equals_the_same_pair_split_into_weighted_hard_verdicts():
    a, b = np.array([0, 1, 2, 0]), np.array([1, 2, 0, 2])
    soft = fit_bt(Comparisons.build(a, b, np.array([0.75, 0.6, 0.2, 0.9]), n_items=3))
    hard = fit_bt(
        Comparisons.build(
            np.tile(a, 2),
            np.tile(b, 2),
            np.r_[np.ones(4), np.zeros(4)],
            weight=np.r_[[0.75, 0.6, 0.2, 0.9], [0.25, 0.4, 0.8, 0.1]],
            n_items=3,
        )
    )
    np.testing.assert_allclose(soft.scores, hard.scores, atol=1e-8)
    np.testing.assert_allclose(soft.se, hard.se, atol=1e-8)


def test_fit_statistics_are_near_one_when_the_model_holds():
    _, comps = simulate(60, 3000, seed=4)
    fit = fit_bt(comps)
    assert 0.9 < np.median(fit.infit) < 1.1
    assert 0.85 < np.median(fit.outfit) < 1.15


def test_a_lapse_rate_keeps_a_far_apart_surprise_from_dragging_scores():
    a = np.array([0] * 10 + [1] * 10 + [0])
    b = np.array([1] * 10 + [2] * 10 + [2])
    y = np.r_[np.ones(20), 0.0]  # 0 > 1 > 2 ten times each, then 2 beats 0 once
    plain = fit_bt(Comparisons.build(a, b, y, n_items=3), estimate_bias=False)
    robust = fit_bt(Comparisons.build(a, b, y, n_items=3), estimate_bias=False, lapse=0.05)
    assert robust.scores[0] - robust.scores[2] > plain.scores[0] - plain.scores[2]


def test_the_sparse_path_matches_the_dense_path(monkeypatch):
    _, comps = simulate(300, 3000, seed=5)
    dense = fit_bt(comps)
    monkeypatch.setattr(bt_linalg, "DENSE_MAX", 10)
    sparse = fit_bt(comps)
    assert sparse.cov is None
    np.testing.assert_allclose(sparse.scores, dense.scores, atol=1e-6)
    np.testing.assert_allclose(sparse.se, dense.se, rtol=0.08)
    assert np.mean(np.abs(sparse.se / dense.se - 1)) < 0.02


@pytest.mark.parametrize(
    "kwargs",
    [
        {"idx_a": [0], "idx_b": [0], "y": [1.0]},
        {"idx_a": [0], "idx_b": [5], "y": [1.0]},
        {"idx_a": [0], "idx_b": [1], "y": [1.5]},
        {"idx_a": [0, 1], "idx_b": [1], "y": [1.0]},
    ],
)
def test_invalid_comparisons_are_refused(kwargs):
    with pytest.raises(ValueError):
        Comparisons.build(n_items=3, **kwargs)


def test_soft_verdicts_that_agree_with_the_model_have_infit_near_one():
    from cj_service.domain.bt import fit_statistics

    rng = np.random.default_rng(11)
    n, m = 20, 400
    theta = rng.normal(0.0, 1.5, n)
    a = rng.integers(0, n, m)
    b = (a + rng.integers(1, n, m)) % n
    p = 1.0 / (1.0 + np.exp(-(theta[a] - theta[b])))
    comps = Comparisons.build(a, b, p, n_items=n)
    infit, outfit = fit_statistics(comps, p)
    assert np.allclose(infit, 1.0) and np.allclose(outfit, 1.0)
    hard = Comparisons.build(a, b, (rng.random(m) < p).astype(float), n_items=n)
    hard_infit, _ = fit_statistics(hard, p)
    assert 0.7 < hard_infit.mean() < 1.3
