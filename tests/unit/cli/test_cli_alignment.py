"""Anchor alignment, misfits and surprising verdicts computed for report.md."""

from __future__ import annotations

import pytest

from cli.render.alignment import anchor_alignment, misfits, surprises, wilson
from tests.unit.cli.factory import GRADES, comparison, essay, p_a, run_data


def test_anchors_in_grade_order_have_tau_one_and_no_inversions() -> None:
    essays = list(run_data().results.essays)
    result = anchor_alignment(essays, GRADES)
    assert result.tau == pytest.approx(1.0)
    assert result.inverted_pairs == []


def test_a_swapped_pair_of_anchors_is_an_inversion_and_lowers_tau() -> None:
    essays = [essay("a", 1, 1.0, anchor="C"), essay("b", 2, 0.5, anchor="A"),
              essay("c", 3, -1.0, anchor="F")]
    result = anchor_alignment(essays, GRADES)
    assert [(hi.essay_id, lo.essay_id) for hi, lo in result.inverted_pairs] == [("b", "a")]
    assert result.tau == pytest.approx(1 / 3)


def test_anchors_that_never_won_are_listed() -> None:
    result = anchor_alignment(list(run_data().results.essays), GRADES)
    assert [e.essay_id for e in result.zero_win] == ["anchor/F_anchor.txt"]


def test_tau_is_undefined_with_one_distinct_grade() -> None:
    essays = [essay("a", 1, 1.0, anchor="C"), essay("b", 2, 0.5, anchor="C")]
    assert anchor_alignment(essays, GRADES).tau is None


def test_misfits_are_high_infit_essays_worst_first() -> None:
    essays = [essay("a", 1, 0, infit=1.4), essay("b", 2, 0, infit=2.0), essay("c", 3, 0)]
    assert [e.essay_id for e in misfits(essays)] == ["b", "a"]


def test_the_least_likely_verdict_comes_first_with_its_model_probability() -> None:
    essays = [essay("hi", 1, 2.0), essay("lo", 2, -2.0)]
    upset = comparison(0, "lo", "hi", 1)  # A (the weak essay) won
    expected = comparison(1, "hi", "lo", 1)
    found = surprises(essays, [expected, upset], position_bias=0.0)
    assert (found[0].winner, found[0].loser) == ("lo", "hi")
    assert found[0].p_observed == pytest.approx(p_a(-4.0))
    assert found[1].p_observed == pytest.approx(p_a(4.0))


def test_position_bias_enters_the_model_probability() -> None:
    essays = [essay("x", 1, 0.0), essay("y", 2, 0.0)]
    found = surprises(essays, [comparison(0, "x", "y", 1)], position_bias=0.5)
    assert found[0].p_observed == pytest.approx(p_a(0.5))


def test_wilson_interval_stays_inside_zero_and_one() -> None:
    assert wilson(0, 10)[0] == 0.0
    assert wilson(10, 10)[1] == pytest.approx(1.0)
    low, high = wilson(50, 100)
    assert low < 0.5 < high
