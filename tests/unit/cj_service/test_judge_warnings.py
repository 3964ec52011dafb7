"""Degenerate judges said in words: one side always winning, noise, bias, dropped P(A)."""

from cj_service.domain.judge_warnings import judge_warnings


def warnings(**kw):
    base = dict(
        a_wins=15,
        verdicts=30,
        reliability=0.85,
        reliability_se=0.05,
        position_bias=0.1,
        position_bias_se=0.2,
    )
    return judge_warnings(**{**base, **kw})


def test_a_sound_judge_gets_no_warning():
    assert warnings() == []


def test_a_judge_choosing_essay_a_nine_times_in_ten_is_named():
    (w,) = warnings(a_wins=27)
    assert w == (
        "the judge chose Essay A in 90% of comparisons (27 of 30): these verdicts say little "
        "about the essays"
    )


def test_a_judge_choosing_essay_b_almost_always_is_named_too():
    (w,) = warnings(a_wins=2)
    assert "Essay B in 93% of comparisons (28 of 30)" in w


def test_exactly_eighty_percent_and_few_verdicts_are_not_one_sided():
    assert warnings(a_wins=24) == []
    assert warnings(a_wins=5, verdicts=5) == []  # five verdicts say too little


def test_an_unreliable_ranking_is_called_noise_with_its_error():
    (w,) = warnings(reliability=0.267, reliability_se=0.554)
    assert "honest reliability is 0.27 ± 0.55, below 0.5" in w and "mostly noise" in w


def test_no_reliability_yet_means_no_reliability_warning():
    assert warnings(reliability=None, reliability_se=None) == []
    (w,) = warnings(reliability=0.3, reliability_se=float("inf"))
    assert "0.30, below" in w  # no ± for an infinite error


def test_a_strong_position_bias_names_the_favoured_side():
    (w,) = warnings(position_bias=1.16, position_bias_se=0.40)
    assert "strong position bias +1.16 ± 0.40 logits" in w and "shown as A" in w
    (w,) = warnings(position_bias=-1.5, position_bias_se=None)
    assert "-1.50 logits" in w and "shown as B" in w
    assert warnings(position_bias=1.0) == [] and warnings(position_bias=None) == []


def test_dropped_probabilities_are_counted():
    (w,) = warnings(p_a_dropped=4)
    assert "contradicted its own verdict in 4 of 30 comparisons" in w


def test_the_degenerate_judge_of_the_issue_gets_every_warning_in_order():
    found = warnings(
        a_wins=27, reliability=0.267, reliability_se=0.554, position_bias=1.16,
        position_bias_se=0.40,
    )
    assert [w.split(" ")[1] for w in found] == ["judge", "honest", "position"]


def test_texts_the_simulated_judge_had_no_truth_for_are_counted_in_words():
    (w,) = warnings(no_truth_texts=3)
    assert w == "the simulated judge had no truth for 3 texts: their order is arbitrary"
    (one,) = warnings(no_truth_texts=1)
    assert one.startswith("the simulated judge had no truth for 1 text:")
