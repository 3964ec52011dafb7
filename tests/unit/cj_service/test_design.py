"""The two-chain design: pairs split between chains, each chain adapts on its own verdicts."""

import numpy as np

from cj_service.domain import design
from cj_service.domain.bt import Comparisons, sigmoid
from cj_service.domain.pairing import PairHistory


def run(n, rounds, m, *, coin, seed=0):
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, 2.0, n)
    a, b = np.zeros(0, int), np.zeros(0, int)
    y, chain = np.zeros(0), np.zeros(0, int)
    for h in range(design.CHAINS):
        perm = rng.permutation(n)
        a, b = np.r_[a, perm[0::2]], np.r_[b, perm[1::2]]
        chain = np.r_[chain, np.full(n // 2, h)]
    p0 = np.full(a.size, 0.5) if coin else sigmoid(theta[a] - theta[b])
    y = (rng.random(a.size) < p0) * 1.0
    fits = None
    for _ in range(rounds):
        comps = Comparisons.build(a, b, y, n_items=n)
        fits = design.refit_chains(comps, chain, fits)
        na, nb, nc = design.plan(comps, chain, fits, m=m, rng=rng)
        p = np.full(na.size, 0.5) if coin else sigmoid(theta[na] - theta[nb])
        a, b, chain = np.r_[a, na], np.r_[b, nb], np.r_[chain, nc]
        y = np.r_[y, (rng.random(na.size) < p) * 1.0]
    comps = Comparisons.build(a, b, y, n_items=n)
    return theta, comps, chain, design.summarise(comps, chain, with_bias=False)


def test_a_plan_splits_the_pairs_between_the_chains():
    _, comps, chain, _ = run(20, 2, 6, coin=False)
    fits = design.refit_chains(comps, chain)
    a, b, c = design.plan(comps, chain, fits, m=7, rng=np.random.default_rng(1))
    assert a.size == 7 and sorted(np.bincount(c).tolist()) == [3, 4]


def test_pending_pairs_of_a_chain_are_not_planned_again():
    _, comps, chain, _ = run(6, 0, 0, coin=False)
    fits = design.refit_chains(comps, chain)
    pending = PairHistory(np.array([0, 2, 4]), np.array([1, 3, 5]), np.ones(3, bool))
    a, b, c = design.plan(
        comps,
        chain,
        fits,
        m=2,
        rng=np.random.default_rng(2),
        pending=pending,
        pending_chain=np.array([0, 0, 0]),
    )
    chain0 = {(min(i, j), max(i, j)) for i, j, h in zip(a, b, c, strict=True) if h == 0}
    assert chain0.isdisjoint({(0, 1), (2, 3), (4, 5)})


def test_the_honest_reliability_stays_low_on_coin_tosses_where_ssr_is_inflated():
    _, _, _, summary = run(60, 16, 16, coin=True)
    assert summary.ssr > 0.3
    assert summary.honest_reliability < 0.25


def test_the_honest_reliability_follows_a_real_signal():
    gaps = []
    for seed in range(3):
        theta, _, _, summary = run(60, 10, 16, coin=False, seed=seed)
        true = np.corrcoef(summary.fit.scores, theta)[0, 1] ** 2
        gaps.append(summary.honest_reliability - true)
    assert abs(np.mean(gaps)) < 0.07


def test_the_opening_is_one_random_perfect_matching_per_chain():
    none = np.zeros((design.CHAINS, 9), bool)
    a, b, c = design.opening(none, m=100, rng=np.random.default_rng(3))
    assert np.bincount(c).tolist() == [4, 4]
    for h in range(design.CHAINS):
        seen = np.r_[a[c == h], b[c == h]]
        assert np.unique(seen).size == 8  # every essay once but one (n odd)


def test_the_opening_shares_the_slots_and_resumes_where_it_stopped():
    rng = np.random.default_rng(5)
    covered = np.zeros((design.CHAINS, 10), bool)
    a, b, c = design.opening(covered, m=5, rng=rng)
    assert np.bincount(c).tolist() == [3, 2]
    covered[c, a] = covered[c, b] = True
    a2, b2, c2 = design.opening(covered, m=100, rng=rng)
    assert np.bincount(c2).tolist() == [2, 3]
    assert not covered[c2, a2].any() and not covered[c2, b2].any()
    covered[c2, a2] = covered[c2, b2] = True
    assert covered.all() and design.opening(covered, m=5, rng=rng) is None


def test_a_chain_without_verdicts_refits_to_its_prior():
    _, comps, chain, _ = run(8, 0, 0, coin=False)
    fits = design.refit_chains(comps, np.zeros_like(chain))
    assert np.all(fits[1].scores == 0.0) and np.all(np.isfinite(fits[1].se))
