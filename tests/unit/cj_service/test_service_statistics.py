"""Rows -> domain arrays, and fits that stay honest when warm-started."""

from types import SimpleNamespace

import numpy as np

from cj_service.domain import design
from cj_service.service.workflow import statistics


def rows_for(quality: np.ndarray, pairs, *, soft=False, judge="p/m"):
    out = []
    for a, b in pairs:
        p = 1.0 / (1.0 + np.exp(-(quality[a] - quality[b])))
        provider, model = judge.split("/")
        out.append(
            SimpleNamespace(
                idx_a=a,
                idx_b=b,
                winner=1 if p > 0.5 else 2,
                probability_a=p if soft else None,
                provider=provider,
                model=model,
            )
        )
    return out


def test_verdicts_use_soft_labels_when_the_judge_gave_them():
    q = np.array([1.0, 0.0])
    v = statistics.verdicts(2, rows_for(q, [(0, 1)], soft=True))
    assert 0.5 < v.comps.y[0] < 1.0
    hard = statistics.verdicts(2, rows_for(q, [(0, 1)]))
    assert hard.comps.y[0] == 1.0 and list(hard.wins) == [1, 0]


def test_each_judge_model_gets_its_own_bias_index():
    q = np.zeros(3)
    rows = rows_for(q, [(0, 1)], judge="a/x") + rows_for(q, [(1, 2)], judge="b/y")
    v = statistics.verdicts(3, rows)
    assert v.judges == ("a/x", "b/y") and list(v.comps.judge) == [0, 1]


def test_the_fit_depends_on_the_verdicts_only_and_recovers_the_order():
    rng = np.random.default_rng(3)
    q = np.linspace(-3, 3, 10)
    pairs = [tuple(rng.choice(10, 2, replace=False)) for _ in range(80)]
    rows = rows_for(q, pairs)
    statistics.fit(statistics.verdicts(10, rows[:2]))  # an earlier fit leaves nothing behind
    later = statistics.fit(statistics.verdicts(10, rows))
    again = statistics.fit(statistics.verdicts(10, rows))
    assert later.reliability > 0.7
    assert abs(later.reliability - again.reliability) < 0.02
    assert np.corrcoef(later.scores, q)[0, 1] > 0.9


def test_every_essay_gets_a_positive_standard_error():
    q = np.array([2.0, 0.0, -2.0, 0.5])
    s = statistics.fit(statistics.verdicts(4, rows_for(q, [(0, 1), (1, 2)])))
    assert np.all(s.ses > 0) and np.isfinite(s.scores).all()


def test_the_reported_reliability_is_the_split_half_of_the_two_chains():
    rng = np.random.default_rng(5)
    q = np.linspace(-3, 3, 12)
    pairs = [tuple(rng.choice(12, 2, replace=False)) for _ in range(120)]
    rows = rows_for(q, pairs)
    for k, r in enumerate(rows):
        r.chain = k % 2
    v = statistics.verdicts(12, rows)
    s = statistics.fit(v)
    expected = design.summarise(v.comps, v.chain)
    assert list(v.chain[:4]) == [0, 1, 0, 1]
    assert s.reliability == expected.honest_reliability and 0.7 < s.reliability < 1.0
    assert s.beta == float(expected.bias_fit.beta[0])


def test_with_one_chain_still_unjudged_the_honest_reliability_is_zero():
    q = np.linspace(-1, 1, 4)
    rows = rows_for(q, [(0, 1), (1, 2), (2, 3)])
    for r in rows:
        r.chain = 0
    s = statistics.fit(statistics.verdicts(4, rows))
    assert s.reliability == 0.0 and np.isfinite(s.scores).all()


def test_merging_verdicts_equals_reading_all_rows_at_once():
    rng = np.random.default_rng(3)
    q = rng.normal(size=6)
    pairs = [(i, (i + k) % 6) for k in (1, 2) for i in range(6)]
    first = rows_for(q, pairs[:5], judge="a/x")
    second = rows_for(q, pairs[5:], judge="b/y") + rows_for(q, pairs[:2], judge="a/x")
    for i, r in enumerate(first + second):
        r.chain = i % 2
    whole = statistics.verdicts(6, first + second)
    merged = statistics.merge(statistics.verdicts(6, first), statistics.verdicts(6, second))
    assert merged.judges == whole.judges and list(merged.wins) == list(whole.wins)
    for name in ("idx_a", "idx_b", "y", "weight", "judge"):
        assert np.array_equal(getattr(merged.comps, name), getattr(whole.comps, name))
    assert merged.comps.n_judges == 2 and np.array_equal(merged.chain, whole.chain)
    assert statistics.merge(None, whole) is whole and statistics.merge(whole, None) is whole
