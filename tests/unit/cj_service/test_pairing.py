"""Pair selection invariants: fresh pairs first, balanced A/B positions, caps, linking."""

import numpy as np

from cj_service.domain.bt import Comparisons, fit_bt, sigmoid
from cj_service.domain.pairing import PairHistory, SelectionConfig, select_pairs


def keys(a, b):
    return set(zip(np.minimum(a, b).tolist(), np.maximum(a, b).tolist(), strict=True))


DEFAULT = SelectionConfig()


def run_rounds(n, rounds, m, *, seed=0, config=DEFAULT):
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, 1.5, n)
    a_all, b_all, y_all = np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    for _ in range(rounds):
        if a_all.size:
            fit = fit_bt(Comparisons.build(a_all, b_all, y_all, n_items=n))
            scores, var, cov = fit.scores, fit.se**2, fit.cov
        else:
            scores, var, cov = np.zeros(n), np.ones(n), None
        history = PairHistory(a_all, b_all, np.zeros(a_all.size, bool))
        a, b = select_pairs(scores, var, history=history, m=m, rng=rng, cov=cov, config=config)
        y = (rng.random(a.size) < sigmoid(theta[a] - theta[b] + 0.3)).astype(float)
        a_all, b_all, y_all = np.r_[a_all, a], np.r_[b_all, b], np.r_[y_all, y]
    return a_all, b_all


def test_no_pair_repeats_while_fresh_pairs_remain():
    a, b = run_rounds(12, 6, 6)  # 36 of the 66 possible pairs
    assert len(keys(a, b)) == a.size
    assert np.all(a != b)


def test_pairs_repeat_once_every_pair_has_been_made():
    a, b = run_rounds(4, 3, 2)  # 6 pairs = all of them
    assert len(keys(a, b)) == 6
    a2, b2 = run_rounds(4, 4, 2)
    assert len(keys(a2, b2)) == 6 and a2.size == 8


def test_every_essay_is_shown_first_about_as_often_as_second():
    n = 30
    a, b = run_rounds(n, 12, 15)
    balance = np.bincount(a, minlength=n) - np.bincount(b, minlength=n)
    assert np.max(np.abs(balance)) <= 2
    assert np.mean(np.abs(balance)) < 0.7


def test_a_batch_uses_each_essay_at_most_once_when_it_can():
    rng = np.random.default_rng(1)
    a, b = select_pairs(
        rng.normal(size=20), np.ones(20), history=PairHistory.empty(), m=10, rng=rng
    )
    assert a.size == 10
    assert np.bincount(np.r_[a, b], minlength=20).max() == 1


def test_essays_in_flight_are_not_given_more_work():
    rng = np.random.default_rng(2)
    pending = PairHistory(np.array([0, 2]), np.array([1, 3]), np.array([True, True]))
    a, b = select_pairs(np.zeros(8), np.ones(8), history=pending, m=2, rng=rng)
    assert set(np.r_[a, b].tolist()).isdisjoint({0, 1, 2, 3})


def test_two_unlinked_groups_get_linked_first():
    # essays 0-4 compared only among themselves, 5-9 likewise: equal scores, but the
    # difference between the groups is unknown, so a cross-group pair is worth most
    within = [(i, j) for g in (0, 5) for i in range(g, g + 5) for j in range(i + 1, g + 5)]
    a = np.array([p[0] for p in within])
    b = np.array([p[1] for p in within])
    fit = fit_bt(Comparisons.build(a, b, np.tile([1.0, 0.0], a.size // 2), n_items=10))
    history = PairHistory(a, b, np.zeros(a.size, bool))
    pa, pb = select_pairs(
        fit.scores, fit.se**2, history=history, m=1, rng=np.random.default_rng(0), cov=fit.cov
    )
    assert (pa[0] < 5) != (pb[0] < 5)


def test_large_batches_use_sampled_candidates_and_keep_the_invariants():
    n = 600
    rng = np.random.default_rng(3)
    scores = rng.normal(0, 1.5, n)
    a, b = select_pairs(
        scores,
        np.full(n, 0.5),
        history=PairHistory.empty(),
        m=100,
        rng=rng,
        config=SelectionConfig(full_search_max=100),
    )
    assert a.size == 100
    assert len(keys(a, b)) == 100
    assert np.bincount(np.r_[a, b], minlength=n).max() == 1


def test_blocked_essays_get_no_pairs():
    blocked = np.zeros(10, bool)
    blocked[[2, 7]] = True
    a, b = select_pairs(
        np.zeros(10),
        np.ones(10),
        history=PairHistory.empty(),
        m=12,
        rng=np.random.default_rng(0),
        blocked=blocked,
    )
    assert a.size == 12 and not blocked[a].any() and not blocked[b].any()
