"""Stopping rule: continue, finalize (reliability or budget), or fail a failing judge."""

from cj_service.domain import stopping
from cj_service.domain.stopping import Progress, StopPolicy, decide

POLICY = StopPolicy(target_reliability=0.9, min_comparisons_per_essay=4, window=20)


def progress(**kw):
    base = dict(
        n_essays=50, done=200, failed=0, in_flight=10, budget=500, reliability=0.5,
        fewest_per_essay=6,
    )
    return Progress(**{**base, **kw})


def test_a_batch_below_target_continues_and_refills_its_window():
    d = decide(progress(), POLICY)
    assert d.action == stopping.CONTINUE and d.submit == 10


def test_the_refill_never_exceeds_the_budget():
    assert decide(progress(done=485, in_flight=10), POLICY).submit == 5


def test_reaching_the_honest_reliability_finalizes():
    d = decide(progress(reliability=0.93), POLICY)
    assert (d.action, d.reason) == (stopping.FINALIZE, stopping.REASON_RELIABILITY)


def test_the_figure_must_clear_the_target_by_half_its_standard_error():
    # over 20 essays 0.91 - 0.5 se (0.044) falls short of 0.90; over 400 (se 0.009) it clears it
    small = decide(progress(n_essays=20, done=200, reliability=0.91), POLICY)
    assert small.action == stopping.CONTINUE
    large = decide(progress(n_essays=400, done=900, budget=2000, reliability=0.91), POLICY)
    assert (large.action, large.reason) == (stopping.FINALIZE, stopping.REASON_RELIABILITY)
    assert "(se 0.009)" in large.detail


def test_without_a_margin_the_bare_figure_decides():
    bare = StopPolicy(target_reliability=0.9, min_comparisons_per_essay=4, margin_se=0.0)
    assert decide(progress(n_essays=20, done=200, reliability=0.91), bare).action == "finalize"
    assert decide(progress(n_essays=3, done=200, reliability=0.91), bare).action == "finalize"
    assert decide(progress(n_essays=3, done=200, reliability=0.99), POLICY).action == "continue"


def test_reliability_is_not_trusted_before_every_essay_has_enough_comparisons():
    assert decide(progress(fewest_per_essay=3, reliability=0.99), POLICY).action == "continue"
    # plenty on average is not enough: one essay never judged holds the batch open
    held = decide(progress(done=400, fewest_per_essay=0, reliability=0.99), POLICY)
    assert held.action == stopping.CONTINUE
    assert decide(progress(fewest_per_essay=4, reliability=0.99), POLICY).action == "finalize"


def test_a_spent_budget_waits_for_in_flight_results_then_finalizes():
    assert decide(progress(done=490, in_flight=10), POLICY).action == stopping.CONTINUE
    d = decide(progress(done=500, in_flight=0), POLICY)
    assert (d.action, d.reason) == (stopping.FINALIZE, stopping.REASON_BUDGET)


def test_a_failing_judge_fails_the_batch_with_a_reason():
    d = decide(progress(done=10, failed=30), POLICY)
    assert (d.action, d.reason) == (stopping.FAIL, stopping.REASON_JUDGE_FAILING)
    assert "0.25" in d.detail


def test_a_few_early_failures_do_not_fail_the_batch():
    assert decide(progress(done=3, failed=5), POLICY).action == stopping.CONTINUE


def test_a_one_essay_batch_finalizes_at_once():
    d = decide(progress(n_essays=1, done=0), POLICY)
    assert (d.action, d.reason) == (stopping.FINALIZE, stopping.REASON_INSUFFICIENT)
