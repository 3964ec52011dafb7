"""Stopping rule: continue, finalize (reliability or budget), or fail a failing judge."""

from cj_service.domain import stopping
from cj_service.domain.stopping import Progress, StopPolicy, decide

POLICY = StopPolicy(target_reliability=0.9, min_comparisons_per_essay=4, window=20)


def progress(**kw):
    base = dict(n_essays=50, done=200, failed=0, in_flight=10, budget=500, reliability=0.5)
    return Progress(**{**base, **kw})


def test_a_batch_below_target_continues_and_refills_its_window():
    d = decide(progress(), POLICY)
    assert d.action == stopping.CONTINUE and d.submit == 10


def test_the_refill_never_exceeds_the_budget():
    assert decide(progress(done=485, in_flight=10), POLICY).submit == 5


def test_reaching_the_honest_reliability_finalizes():
    d = decide(progress(reliability=0.93), POLICY)
    assert (d.action, d.reason) == (stopping.FINALIZE, stopping.REASON_RELIABILITY)


def test_reliability_is_not_trusted_before_enough_comparisons():
    assert decide(progress(done=60, reliability=0.95), POLICY).action == stopping.CONTINUE


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
