"""The assessment's transitions: counts, spend and the judge's record move together."""

from datetime import timedelta

import pytest

from cj_service.domain.assessment import Assessment, Fit, InvalidTransition, Outcomes, Spend, State
from tests.unit.cj_service.workflow_fakes import T0, assessment

LATER = T0 + timedelta(seconds=30)


def outcomes(**kw) -> Outcomes:
    base = dict(judged=0, failed=0, spend=Spend(), failed_attempts={})
    return Outcomes(**{**base, **kw})


def test_starting_runs_from_now():
    asked = {k: v for k, v in vars(assessment()).items()
             if k not in ("state", "created_at", "updated_at", "progress_at")}
    a = Assessment.start(now=LATER, **asked)
    assert (a.state, a.created_at, a.updated_at, a.progress_at) == (State.RUNNING,) + (LATER,) * 3


def test_planning_counts_comparisons_created_and_in_flight():
    a = assessment().record_planned(6).record_planned(2)
    assert (a.comparisons_created, a.comparisons_in_flight, a.top_ups) == (8, 8, 2)


def test_outcomes_move_comparisons_out_of_flight_and_add_their_spend():
    a = assessment(comparisons_in_flight=5, cost_usd=1.0, prompt_tokens=10)
    spent = Spend(cost_usd=0.5, prompt_tokens=7, estimated=True)
    b = a.record_outcomes(outcomes(judged=2, failed=1, spend=spent, a_wins=2), now=LATER)
    assert (b.comparisons_done, b.comparisons_failed, b.comparisons_in_flight) == (2, 1, 2)
    assert (b.cost_usd, b.prompt_tokens, b.tokens_estimated, b.a_wins) == (1.5, 17, True, 2)
    assert b.progress_at == b.verdict_at == LATER


def test_a_verdict_resets_the_failures_since_the_last_verdict():
    a = assessment(comparisons_in_flight=2, failed_attempts={"TIMEOUT": 1},
                   failed_since_verdict={"TIMEOUT": 1})
    b = a.record_outcomes(outcomes(judged=1, failed_attempts={"TIMEOUT": 2}), now=LATER)
    assert b.failed_attempts == {"TIMEOUT": 3} and b.failed_since_verdict == {}


def test_failures_alone_add_to_the_failures_since_the_last_verdict_and_keep_the_last_message():
    a = assessment(comparisons_in_flight=2, failed_since_verdict={"TIMEOUT": 1},
                   last_error="TIMEOUT: slow")
    b = a.record_outcomes(outcomes(failed=1, failed_attempts={"PROVIDER_ERROR": 1},
                                   last_error="PROVIDER_ERROR: 504"), now=LATER)
    assert b.failed_since_verdict == {"TIMEOUT": 1, "PROVIDER_ERROR": 1}
    assert b.last_error == "PROVIDER_ERROR: 504" and b.verdict_at is None
    assert b.record_outcomes(outcomes(judged=1), now=LATER).last_error == "PROVIDER_ERROR: 504"


def test_texts_without_truth_accumulate_sorted_once_each():
    a = assessment(no_truth_texts=(4,), comparisons_in_flight=2)
    b = a.record_outcomes(outcomes(judged=1, no_truth_texts=(9, 4, 1)), now=LATER)
    assert b.no_truth_texts == (1, 4, 9)


def test_a_late_result_adds_its_spend_and_nothing_else():
    a = assessment(comparisons_done=3, cost_usd=1.0)
    b = a.record_late(Spend(cost_usd=0.25), {"CANCELLED": 0})
    assert (b.cost_usd, b.comparisons_done, b.progress_at) == (1.25, 3, a.progress_at)


def test_a_check_records_its_figures_and_the_verdicts_it_saw():
    a = assessment(comparisons_done=40).record_check(0.8, 3)
    assert (a.reliability, a.fewest_comparisons, a.verdicts_at_last_fit, a.ssr) == (
        0.8, 3, 40, 0.0)
    b = a.record_check(0.85, 4, Fit(0.85, 0.9, 0.1, 0.05))
    assert (b.ssr, b.position_bias, b.position_bias_se) == (0.9, 0.1, 0.05)


def test_completing_ends_with_the_final_fit_and_nothing_in_flight():
    a = assessment(comparisons_in_flight=3).complete("BUDGET_SPENT", Fit(0.9, 0.92, 0.1, 0.02),
                                                     now=LATER)
    assert (a.state, a.completion_reason, a.finished_at) == (State.COMPLETED, "BUDGET_SPENT",
                                                             LATER)
    assert (a.comparisons_in_flight, a.reliability, a.ssr) == (0, 0.9, 0.92)


def test_failing_and_cancelling_keep_the_figures_of_the_last_check_without_verdicts():
    a = assessment(reliability=0.4)
    failed = a.fail("STALLED", "no progress", None, now=LATER)
    assert (failed.state, failed.failure_reason, failed.detail) == (
        State.FAILED, "STALLED", "no progress")
    cancelled = a.cancel("stop", None, now=LATER)
    assert (cancelled.state, cancelled.detail, cancelled.reliability) == (
        State.CANCELLED, "stop", 0.4)


def test_an_ended_assessment_cannot_end_again_or_stop_planning():
    done = assessment().complete("BUDGET_SPENT", None, now=LATER)
    with pytest.raises(InvalidTransition):
        done.fail("STALLED", "", None, now=LATER)
    with pytest.raises(InvalidTransition):
        done.stop_planning("STALLED")
