"""Planning: failed pairs come back first (sides swapped, bounded), then the domain's pairs."""

from types import SimpleNamespace

import numpy as np

from cj_service.service.workflow import planning, statistics
from cj_service.service.workflow.model import PlannedPair


def row(cid, a, b, status, *, attempt=1, requeued=False, retryable=True, chain=None):
    return SimpleNamespace(
        chain=chain,
        id=cid,
        idx_a=a,
        idx_b=b,
        status=status,
        pair_attempt=attempt,
        requeued=requeued,
        error_retryable=retryable,
    )


def test_history_keeps_judged_and_in_flight_pairs_as_shown():
    rows = [
        row("1", 0, 1, "JUDGED", chain=1),
        row("2", 2, 1, "SUBMITTED", chain=0),
        row("3", 3, 0, "ABANDONED", chain=1),
    ]
    hist = planning.history(4, rows, max_pair_attempts=3)
    assert hist.shown == ((0, 1, False, 1), (2, 1, True, 0))
    assert hist.in_flight == frozenset({(1, 2)})


def test_a_retryable_failure_is_retried_once_with_its_sides_swapped():
    rows = [row("f", 0, 1, "FAILED"), row("g", 2, 3, "FAILED", requeued=True)]
    hist = planning.history(4, rows, max_pair_attempts=3)
    assert hist.retry == (("f", PlannedPair(1, 0, 2)),)


def test_failures_past_the_attempt_bound_or_not_retryable_are_not_retried():
    rows = [row("f", 0, 1, "FAILED", attempt=3), row("g", 2, 3, "FAILED", retryable=False)]
    assert planning.history(4, rows, max_pair_attempts=3).retry == ()


def test_plan_puts_retries_first_and_fills_up_with_new_pairs():
    hist = planning.history(6, [row("f", 0, 1, "FAILED")], max_pair_attempts=3)
    pairs, requeued = planning.plan(hist, count=3, rng=np.random.default_rng(0))
    assert pairs[0] == PlannedPair(1, 0, 2) and requeued == ["f"]
    assert len(pairs) == 3 and all(p.idx_a != p.idx_b for p in pairs)


def test_a_retry_of_a_pair_already_in_flight_waits():
    rows = [row("f", 0, 1, "FAILED"), row("s", 1, 0, "SUBMITTED")]
    hist = planning.history(4, rows, max_pair_attempts=3)
    _, requeued = planning.plan(hist, count=2, rng=np.random.default_rng(1))
    assert requeued == []


def test_the_first_wave_differs_between_seeds_and_matches_each_essay_once_per_chain():
    hist = planning.history(10, [], max_pair_attempts=3)
    waves = [planning.plan(hist, count=10, rng=np.random.default_rng(s))[0] for s in (1, 2)]
    assert waves[0] != waves[1]
    for wave in waves:
        for h in (0, 1):
            seen = [i for p in wave if p.chain == h for i in (p.idx_a, p.idx_b)]
            assert sorted(seen) == list(range(10))


def test_nothing_is_planned_for_zero_slots_or_one_essay():
    rng = np.random.default_rng(0)
    assert (
        planning.select_pairs(planning.history(5, [], max_pair_attempts=3), count=0, rng=rng) == []
    )
    assert (
        planning.select_pairs(planning.history(1, [], max_pair_attempts=3), count=3, rng=rng) == []
    )


def test_a_retry_stays_in_the_chain_of_the_failed_comparison():
    hist = planning.history(4, [row("f", 0, 1, "FAILED", chain=1)], max_pair_attempts=3)
    assert hist.retry[0][1] == PlannedPair(1, 0, 2, 1)


def test_the_first_wave_alternates_between_the_two_chains():
    hist = planning.history(10, [], max_pair_attempts=3)
    pairs, _ = planning.plan(hist, count=6, rng=np.random.default_rng(0))
    assert sorted(p.chain for p in pairs) == [0, 0, 0, 1, 1, 1]


def test_once_both_chains_have_verdicts_each_plans_new_pairs_away_from_those_in_flight():
    rng = np.random.default_rng(4)
    q = np.linspace(-2, 2, 8)
    pairs = [(i, (i + 1) % 8) for i in range(8)] + [(i, (i + 3) % 8) for i in range(8)]
    rows = [
        SimpleNamespace(
            idx_a=a,
            idx_b=b,
            winner=1 if q[a] > q[b] else 2,
            probability_a=None,
            provider="p",
            model="m",
            chain=k % 2,
        )
        for k, (a, b) in enumerate(pairs)
    ]
    v = statistics.verdicts(8, rows)
    flying = [row("x", 0, 4, "SUBMITTED", chain=0), row("y", 1, 5, "SUBMITTED", chain=1)]
    shown = [row(str(k), a, b, "JUDGED", chain=k % 2) for k, (a, b) in enumerate(pairs)]
    hist = planning.history(8, shown + flying, max_pair_attempts=3)
    out, _ = planning.plan(hist, count=4, rng=rng, judged=planning.Judged(v.comps, v.chain))
    assert sorted(p.chain for p in out) == [0, 0, 1, 1]
    keys = {(min(p.idx_a, p.idx_b), max(p.idx_a, p.idx_b)) for p in out}
    assert not keys & {(0, 4), (1, 5)}


def judged_rows(pairs):
    return [
        SimpleNamespace(
            idx_a=a, idx_b=b, winner=1, probability_a=None, provider="p", model="m", chain=h
        )
        for a, b, h in pairs
    ]


def test_the_opening_matching_is_completed_before_a_chain_adapts():
    done = [(0, 1, 0), (2, 3, 1)]  # each chain has a verdict but has seen two essays of eight
    v = statistics.verdicts(8, judged_rows(done))
    shown = [row(str(k), a, b, "JUDGED", chain=h) for k, (a, b, h) in enumerate(done)]
    hist = planning.history(8, shown, max_pair_attempts=3)
    judged = planning.Judged(v.comps, v.chain)
    out, _ = planning.plan(hist, count=20, rng=np.random.default_rng(0), judged=judged)
    assert len(out) == 6
    for h, seen_before in ((0, {0, 1}), (1, {2, 3})):
        seen = [i for p in out if p.chain == h for i in (p.idx_a, p.idx_b)]
        assert sorted(seen) == sorted(set(range(8)) - seen_before)


def test_nothing_more_is_planned_while_the_whole_opening_is_in_flight():
    hist = planning.history(4, [], max_pair_attempts=3)
    opening, _ = planning.plan(hist, count=10, rng=np.random.default_rng(0))
    assert len(opening) == 4
    flying = [
        row(str(k), p.idx_a, p.idx_b, "SUBMITTED", chain=p.chain) for k, p in enumerate(opening)
    ]
    hist = planning.history(4, flying, max_pair_attempts=3)
    assert planning.plan(hist, count=10, rng=np.random.default_rng(1)) == ([], [])


def test_a_failed_opening_pair_counts_as_shown_so_the_opening_still_ends():
    # essay 0 fails every call: the opening must not pair it again and again
    rows = [
        row("a", 1, 2, "JUDGED", chain=0),
        row("b", 3, 0, "FAILED", retryable=False, chain=0),
        row("c", 0, 1, "FAILED", attempt=3, chain=1),  # out of attempts
        row("d", 2, 3, "JUDGED", chain=1),
    ]
    hist = planning.history(4, rows, max_pair_attempts=3)
    v = statistics.verdicts(4, judged_rows([(1, 2, 0), (2, 3, 1)]))
    judged = planning.Judged(v.comps, v.chain)
    out, _ = planning.plan(hist, count=4, rng=np.random.default_rng(0), judged=judged)
    assert len(out) == 4  # the design's pairs, not the opening's (0, 3) and (0, 1) again
    assert sorted(p.chain for p in out) == [0, 0, 1, 1]


def test_a_text_never_judged_whose_pairs_failed_max_attempts_times_is_unjudgeable():
    failed = [row(str(k), 0, k + 1, "FAILED", retryable=False) for k in range(3)]
    hist = planning.history(5, failed, max_pair_attempts=3)
    assert planning.unjudgeable(hist, np.array([0, 2, 2, 2, 0])).tolist() == [
        True,  # three failed pairs, no verdict
        False,  # one failed pair, and judged elsewhere
        False,
        False,
        False,  # no verdict yet, but nothing failed
    ]
    two = planning.history(5, failed[:2], max_pair_attempts=3)
    assert not planning.unjudgeable(two, np.zeros(5, int)).any()
    # one partner failing three times blames neither: it may be the other one's fault
    same = [row(str(k), 0, 4, "FAILED", retryable=False) for k in range(3)]
    hist = planning.history(5, same, max_pair_attempts=3)
    assert not planning.unjudgeable(hist, np.zeros(5, int)).any()


def test_a_spent_pair_is_not_asked_again_while_fresh_pairs_remain():
    rows = [row(str(k), a, b, "JUDGED", chain=k % 2) for k, (a, b) in enumerate(RING)]
    rows += [row("x", 0, 3, "FAILED", retryable=False, chain=0)]
    hist = planning.history(6, rows, max_pair_attempts=3)
    v = statistics.verdicts(6, judged_rows([(a, b, k % 2) for k, (a, b) in enumerate(RING)]))
    judged = planning.Judged(v.comps, v.chain)
    for seed in range(5):
        out, _ = planning.plan(hist, count=6, rng=np.random.default_rng(seed), judged=judged)
        chain0 = {(min(p.idx_a, p.idx_b), max(p.idx_a, p.idx_b)) for p in out if p.chain == 0}
        assert (0, 3) not in chain0


RING = [(i, (i + 1) % 6) for i in range(6)] + [(i, (i + 2) % 6) for i in range(6)]


def test_a_chain_whose_every_opening_pair_failed_opens_again():
    # chain 1 has nothing judged, in flight or to retry: the batch must not end with it empty
    rows = [
        row("a", 0, 1, "JUDGED", chain=0),
        row("b", 2, 3, "JUDGED", chain=0),
        row("c", 0, 2, "FAILED", retryable=False, chain=1),
        row("d", 1, 3, "FAILED", retryable=False, chain=1),
    ]
    hist = planning.history(4, rows, max_pair_attempts=3)
    v = statistics.verdicts(4, judged_rows([(0, 1, 0), (2, 3, 0)]))
    judged = planning.Judged(v.comps, v.chain)
    out, _ = planning.plan(hist, count=4, rng=np.random.default_rng(0), judged=judged)
    assert [p.chain for p in out] == [1, 1]
    assert sorted(i for p in out for i in (p.idx_a, p.idx_b)) == [0, 1, 2, 3]
