"""The step's pure decisions: when to refit, how much to top up, what the domain rule sees."""

from dataclasses import replace
from types import SimpleNamespace

import numpy as np

from cj_service.config import Config
from cj_service.domain.comparisons import Comparisons
from cj_service.service import steps


def batch(**overrides):
    values = dict(
        essay_count=8,
        anchor_count=2,
        comparisons_done=0,
        comparisons_failed=0,
        comparisons_in_flight=0,
        verdicts_at_last_fit=0,
        fewest_comparisons=0,
        budget=100,
        max_in_flight=20,
        reliability=0.0,
        target_reliability=0.9,
        min_comparisons_per_essay=4,
        min_judge_success_rate=0.5,
    )
    values.update(overrides)
    return SimpleNamespace(**values)


def test_no_refit_before_a_first_round_of_verdicts():
    assert not steps.refit_due(batch(comparisons_done=4), fraction=0.1)
    assert steps.refit_due(batch(comparisons_done=5), fraction=0.1)


def test_refits_wait_for_a_share_of_new_verdicts():
    assert not steps.refit_due(batch(comparisons_done=109, verdicts_at_last_fit=100), fraction=0.1)
    assert steps.refit_due(batch(comparisons_done=110, verdicts_at_last_fit=100), fraction=0.1)


def test_the_window_is_refilled_in_chunks_unless_only_a_few_are_left():
    assert steps.chunked(batch(comparisons_in_flight=19), 1, fraction=0.1) == 0
    assert steps.chunked(batch(comparisons_in_flight=18), 2, fraction=0.1) == 2
    assert steps.chunked(batch(comparisons_in_flight=0), 1, fraction=0.1) == 1
    assert steps.chunked(batch(comparisons_done=99, comparisons_in_flight=0), 1, fraction=0.1) == 1
    assert steps.chunked(batch(comparisons_done=98, comparisons_in_flight=1), 1, fraction=0.1) == 1
    assert steps.chunked(batch(), 0, fraction=0.1) == 0


def test_the_stopping_rule_sees_counts_and_no_reliability_before_the_first_fit():
    p = steps.progress(batch(comparisons_done=3, comparisons_in_flight=5, reliability=0.7))
    assert (p.n_essays, p.done, p.in_flight, p.budget, p.reliability) == (10, 3, 5, 100, None)
    fitted = steps.progress(batch(comparisons_done=30, verdicts_at_last_fit=30, reliability=0.7))
    assert fitted.reliability == 0.7


def test_the_policy_comes_from_the_batch_and_the_config():
    deps = SimpleNamespace(config=Config(database_url="postgresql+asyncpg://x/y"))
    policy = steps.policy(batch(target_reliability=0.8, max_in_flight=7), deps)
    assert (policy.target_reliability, policy.window) == (0.8, 7)
    assert policy.min_attempts_for_failure == deps.config.pipeline.min_results_for_failure_rate


def test_chain_fits_may_miss_a_window_but_never_a_fifth_of_the_evidence():
    deps = SimpleNamespace(config=Config(database_url="postgresql+asyncpg://x/y"))
    assert steps.max_stale(batch(comparisons_done=2000, max_in_flight=200), deps) == 200
    assert steps.max_stale(batch(comparisons_done=300, max_in_flight=200), deps) == 60
    assert steps.max_stale(batch(comparisons_done=4, max_in_flight=200), deps) == 0


def test_snapshots_are_taken_at_the_first_check_and_each_tenth_of_the_budget():
    assert steps.snapshot_due(batch(comparisons_done=5, budget=100), 10)
    assert not steps.snapshot_due(batch(comparisons_done=19, verdicts_at_last_fit=11), 10)
    assert steps.snapshot_due(batch(comparisons_done=21, verdicts_at_last_fit=19), 10)


def test_converged_chain_fits_are_needed_only_within_twice_the_verdicts_of_the_target():
    assert steps.near_target(0.85, 0.9) and steps.near_target(0.95, 0.9)
    assert not steps.near_target(0.8, 0.9)
    assert not steps.near_target(0.995, 0.999999)


def test_the_rule_sees_the_least_compared_essay():
    assert steps.progress(batch(fewest_comparisons=3)).fewest_per_essay == 3


def test_the_least_compared_essay_counts_its_judged_comparisons():
    comps = Comparisons.build(
        np.array([0, 0, 1]), np.array([1, 2, 2]), np.array([1.0, 0.0, 1.0]), n_items=4
    )
    v = SimpleNamespace(comps=comps)
    assert steps.fewest_comparisons(v) == 0  # text 3 never judged
    assert steps.fewest_comparisons(SimpleNamespace(comps=replace(comps, n_items=3))) == 2
    assert steps.fewest_comparisons(None) == 0
    unjudgeable = np.array([False, False, False, True])
    assert steps.fewest_comparisons(v, unjudgeable) == 2  # text 3 is left out, not awaited
