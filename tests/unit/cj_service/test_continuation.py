"""After new verdicts: when to check, how much to plan, when to stop and why (plain values)."""

from cj_service.domain import continuation
from cj_service.domain.continuation import Action, Next
from tests.unit.cj_service.workflow_fakes import assessment

RULES = dict(min_attempts_for_failure=10, top_up_fraction=0.25)


def decide(**overrides) -> Next:
    return continuation.decide(assessment(**overrides), **RULES)


def test_no_check_before_a_first_round_of_verdicts():
    assert not continuation.check_due(assessment(comparisons_done=4), fraction=0.1)
    assert continuation.check_due(assessment(comparisons_done=5), fraction=0.1)


def test_checks_wait_for_a_share_of_new_verdicts():
    at_100 = dict(verdicts_at_last_fit=100)
    assert not continuation.check_due(assessment(comparisons_done=109, **at_100), fraction=0.1)
    assert continuation.check_due(assessment(comparisons_done=110, **at_100), fraction=0.1)


def test_the_window_is_refilled_in_chunks_unless_only_a_few_are_left():
    def chunked(want, **kw):
        return continuation.chunked(assessment(**kw), want, fraction=0.1)

    assert chunked(1, comparisons_in_flight=19) == 0
    assert chunked(2, comparisons_in_flight=18) == 2
    assert chunked(1, comparisons_in_flight=0) == 1
    assert chunked(1, comparisons_done=99, comparisons_in_flight=0) == 1
    assert chunked(1, comparisons_done=98, comparisons_in_flight=1) == 1
    assert chunked(0) == 0


def test_the_stopping_rule_sees_counts_and_no_reliability_before_the_first_check():
    p = continuation.progress(assessment(comparisons_done=3, comparisons_in_flight=5,
                                         reliability=0.7))
    assert (p.n_essays, p.done, p.in_flight, p.budget, p.reliability) == (10, 3, 5, 100, None)
    checked = assessment(comparisons_done=30, verdicts_at_last_fit=30, reliability=0.7)
    assert continuation.progress(checked).reliability == 0.7


def test_the_rule_sees_the_least_compared_essay():
    assert continuation.progress(assessment(fewest_comparisons=3)).fewest_per_essay == 3


def test_the_policy_comes_from_the_assessment_and_the_settings():
    policy = continuation.policy(assessment(target_reliability=0.8, max_in_flight=7), 10)
    assert (policy.target_reliability, policy.window, policy.min_attempts_for_failure) == (
        0.8, 7, 10)


def test_chain_fits_may_miss_a_window_but_never_a_fifth_of_the_evidence():
    def stale(done):
        a = assessment(comparisons_done=done, max_in_flight=200)
        return continuation.max_stale(a, window_share=1.0, evidence_share=0.2)

    assert (stale(2000), stale(300), stale(4)) == (200, 60, 0)


def test_snapshots_are_taken_at_the_first_check_and_each_tenth_of_the_budget():
    assert continuation.snapshot_due(assessment(comparisons_done=5, budget=100), 10)
    assert not continuation.snapshot_due(
        assessment(comparisons_done=19, verdicts_at_last_fit=11), 10)
    assert continuation.snapshot_due(assessment(comparisons_done=21, verdicts_at_last_fit=19), 10)


def test_converged_chain_fits_are_needed_only_within_twice_the_verdicts_of_the_target():
    assert continuation.near_target(0.85, 0.9) and continuation.near_target(0.95, 0.9)
    assert not continuation.near_target(0.8, 0.9)
    assert not continuation.near_target(0.995, 0.999999)


def test_a_fresh_assessment_plans_its_window():
    assert decide() == Next(Action.PLAN, count=20)


def test_a_nearly_full_window_waits_for_a_chunk_to_come_back():
    assert decide(comparisons_done=10, comparisons_in_flight=18) == continuation.WAIT


def test_the_budget_caps_what_is_planned():
    assert decide(comparisons_done=90, comparisons_in_flight=5) == Next(Action.PLAN, count=5)


def test_a_spent_budget_waits_for_what_is_in_flight_then_completes():
    assert decide(comparisons_done=95, comparisons_in_flight=5) == continuation.WAIT
    assert decide(comparisons_done=100) == Next(Action.COMPLETE, "BUDGET_SPENT")


def test_a_reached_target_stops_planning_and_completes_once_nothing_is_in_flight():
    reached = dict(comparisons_done=60, verdicts_at_last_fit=60, reliability=0.97,
                   fewest_comparisons=6)
    assert decide(**reached, comparisons_in_flight=4) == Next(
        Action.STOP_PLANNING, "RELIABILITY_REACHED")
    stopped = dict(reached, completion_reason="RELIABILITY_REACHED")
    assert decide(**stopped, comparisons_in_flight=4) == continuation.WAIT
    assert decide(**stopped) == Next(Action.COMPLETE, "RELIABILITY_REACHED")


def test_the_target_waits_for_the_least_compared_essay():
    early = dict(comparisons_done=60, verdicts_at_last_fit=60, reliability=0.97,
                 fewest_comparisons=3)
    assert decide(**early).action == Action.PLAN


def test_a_stopped_assessment_keeps_its_reason_whatever_the_rule_says_now():
    stopped = dict(completion_reason="STALLED", comparisons_done=5)
    assert decide(**stopped) == Next(Action.COMPLETE, "STALLED")


def test_a_judge_that_mostly_fails_fails_the_assessment_naming_its_failures():
    step = decide(comparisons_done=2, comparisons_failed=9, failed_attempts={"TIMEOUT": 9},
                  last_error="TIMEOUT: read timed out")
    assert (step.action, step.reason) == (Action.FAIL, "JUDGE_FAILURE_RATE")
    assert step.detail == (
        "success rate 0.18 < 0.50 over 11 attempts; commonest failures: TIMEOUT x9; "
        "last provider message: TIMEOUT: read timed out")


def test_nothing_in_flight_and_nothing_planned_means_the_pairs_are_exhausted():
    assert continuation.after_planning(assessment()) == Next(Action.COMPLETE, "PAIRS_EXHAUSTED")
    assert continuation.after_planning(assessment(comparisons_in_flight=3)) == continuation.WAIT
