"""Assessment -> AssessmentProgress: the reliability travels with its standard error."""

import pytest

from cj_service.entrypoints import views
from tests.unit.cj_service.workflow_fakes import assessment


def batch_row(**kw):
    base = dict(
        comparisons_done=900, comparisons_failed=0, comparisons_in_flight=20, budget=2000,
        reliability=0.9, ssr=0.93, cost_usd=0.5, target_reliability=0.9, essay_count=190,
        anchor_count=10, prompt_tokens=1, completion_tokens=1, a_wins=450,
    )
    return assessment(**{**base, **kw})


def test_progress_reports_the_split_half_standard_error_over_all_essays():
    # 200 essays (anchors included) at 0.90: Fisher z through Spearman-Brown gives 0.0142
    assert views.progress(batch_row()).reliability_se == pytest.approx(0.0142, abs=5e-4)
    assert views.progress(batch_row(essay_count=20, anchor_count=0)).reliability_se > 0.04


def test_a_batch_under_four_essays_has_no_finite_standard_error():
    assert views.progress(batch_row(essay_count=3, anchor_count=0)).reliability_se == float("inf")


def test_progress_carries_failed_attempts_dropped_probabilities_and_estimated_tokens():
    row = batch_row(
        failed_attempts={"TIMEOUT": 12, "INVALID_RESPONSE": 3},
        probability_a_dropped=2,
        tokens_estimated=True,
    )
    p = views.progress(row)
    assert dict(p.failed_attempts) == {"TIMEOUT": 12, "INVALID_RESPONSE": 3}
    assert p.probability_a_dropped == 2 and p.usage.estimated


def test_a_one_sided_judge_is_warned_about_while_running_but_reliability_only_once_ended():
    running = views.warnings(batch_row(comparisons_done=30, a_wins=27, reliability=0.2))
    assert len(running) == 1 and "Essay A in 90% of comparisons (27 of 30)" in running[0]
    ended = views.warnings(
        batch_row(state="COMPLETED", comparisons_done=30, a_wins=27, reliability=0.2)
    )
    assert len(ended) == 2 and "honest reliability is 0.20" in ended[1]


def test_a_sound_batch_has_no_warnings():
    assert views.warnings(batch_row(state="COMPLETED", position_bias=0.1)) == []


def test_texts_the_simulated_judge_had_no_truth_for_become_a_warning():
    (w,) = views.warnings(batch_row(no_truth_texts=[0, 4, 7]))
    assert w == "the simulated judge had no truth for 3 texts: their order is arbitrary"
