"""What a running assessment does after its counts changed (pure): is a stopping check due
(a refit of the chains), and then fail, complete, stop planning, wait, or plan how many more.

The shell around it (service/workflow/steps.py) does the I/O: it runs the check when
`check_due` says so and records it on the assessment, asks `decide`, plans the comparisons
`decide` asks for, and asks `after_planning` whether anything is left in flight.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from cj_service.domain import judge_health, stopping
from cj_service.domain.assessment import Assessment

# A cheap chain figure (3 prior rounds, maybe half a window old) is recomputed from converged
# chain fits once its odds R/(1-R) reach this share of the target's. The odds grow about in
# proportion to the verdicts (Spearman-Brown), so "near" means "within twice the verdicts".
NEAR_TARGET_ODDS = 0.5
_REASONS = {
    stopping.REASON_RELIABILITY: "RELIABILITY_REACHED",
    stopping.REASON_BUDGET: "BUDGET_SPENT",
}
PAIRS_EXHAUSTED = "PAIRS_EXHAUSTED"
JUDGE_FAILURE_RATE = "JUDGE_FAILURE_RATE"


class Action(enum.StrEnum):
    FAIL = "fail"
    COMPLETE = "complete"
    STOP_PLANNING = "stop_planning"  # complete once the comparisons in flight are back
    WAIT = "wait"
    PLAN = "plan"


@dataclass(frozen=True)
class Next:
    action: Action
    reason: str = ""  # the completion or failure reason
    detail: str = ""  # a failure's
    count: int = 0  # comparisons to plan


WAIT = Next(Action.WAIT)


def check_due(a: Assessment, *, fraction: float) -> bool:
    """Check when the new verdicts are a fair share of those at the last check (not per
    result), and not before a first round's worth of verdicts (one per two texts) exists."""
    done = a.comparisons_done
    new = done - a.verdicts_at_last_fit
    first_round = max(1, a.n_texts // 2)
    return done >= first_round and new >= max(1, math.ceil(fraction * a.verdicts_at_last_fit))


def snapshot_due(a: Assessment, per_budget: int) -> bool:
    """At the first check and whenever another 1/per_budget of the budget has been spent."""
    step = max(1, a.budget // max(1, per_budget))
    last = a.verdicts_at_last_fit
    return last == 0 or a.comparisons_done // step > last // step


def near_target(reliability: float, target: float) -> bool:
    if reliability >= target:
        return True
    return reliability / (1 - reliability) >= NEAR_TARGET_ODDS * target / max(1e-12, 1 - target)


def max_stale(a: Assessment, *, window_share: float, evidence_share: float) -> int:
    """How many verdicts the chain fits that plan pairs may miss: a share of the in-flight
    window (whose verdicts the planner cannot see anyway) and of the evidence (config.py:
    measured)."""
    return int(min(a.max_in_flight * window_share, a.comparisons_done * evidence_share))


def decide(a: Assessment, *, min_attempts_for_failure: int, top_up_fraction: float) -> Next:
    """The stopping rule on the assessment's counts and last check; a live assessment."""
    d = stopping.decide(progress(a), policy(a, min_attempts_for_failure))
    if d.action == stopping.FAIL:
        detail = judge_health.failure_rate_detail(d.detail, a.failed_attempts, a.last_error)
        return Next(Action.FAIL, JUDGE_FAILURE_RATE, detail)
    if d.action == stopping.FINALIZE or a.completion_reason:
        reason = a.completion_reason or _REASONS.get(d.reason, "")
        if a.comparisons_in_flight == 0:
            return Next(Action.COMPLETE, reason)
        # stop planning; use the verdicts already paid for
        return WAIT if a.completion_reason else Next(Action.STOP_PLANNING, reason)
    count = chunked(a, d.submit, fraction=top_up_fraction)
    return Next(Action.PLAN, count=count) if count else after_planning(a)


def after_planning(a: Assessment) -> Next:
    """Nothing in flight after planning: no pair is left to ask."""
    return Next(Action.COMPLETE, PAIRS_EXHAUSTED) if a.comparisons_in_flight == 0 else WAIT


def chunked(a: Assessment, want: int, *, fraction: float) -> int:
    """Each top-up refits and plans, so refill the window in chunks (a share of it) rather
    than one comparison per result -- unless that is all that is left."""
    remaining = a.budget - a.comparisons_done - a.comparisons_in_flight
    chunk = max(1, int(a.max_in_flight * fraction))
    if want <= 0 or (a.comparisons_in_flight > 0 and want < min(chunk, remaining)):
        return 0
    return want


def progress(a: Assessment) -> stopping.Progress:
    return stopping.Progress(
        n_essays=a.n_texts,
        done=a.comparisons_done,
        failed=a.comparisons_failed,
        in_flight=a.comparisons_in_flight,
        budget=a.budget,
        reliability=a.reliability if a.verdicts_at_last_fit > 0 else None,
        fewest_per_essay=a.fewest_comparisons,
    )


def policy(a: Assessment, min_attempts_for_failure: int) -> stopping.StopPolicy:
    return stopping.StopPolicy(
        target_reliability=a.target_reliability,
        min_comparisons_per_essay=a.min_comparisons_per_essay,
        min_success_rate=a.min_judge_success_rate,
        min_attempts_for_failure=min_attempts_for_failure,
        window=a.max_in_flight,
    )
