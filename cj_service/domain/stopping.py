"""Stopping rule: continue, finalize (and why), or fail -- from plain counts.

Order of precedence: a judge that fails too often fails the batch (there is no point in
spending the budget on errors); a batch that reached the honest reliability target finalizes
even with comparisons in flight (their late results are acknowledged and ignored); a spent
budget finalizes once nothing is in flight. Otherwise the batch continues and may submit
`submit` new comparisons to refill its in-flight window.

"Reached" means the split-half minus half its standard error (reliability.split_half_se):
checked after every 10% more verdicts, a noisy figure is first seen above the target while
its error is positive, so stopping on the bare figure stops early. bench/stopping_bench.py
(20 seeds, target 0.90): the bare figure stopped 200 essays (sigma 2) at a true 0.891, half
the batches below 0.89, and a class of 30 at 0.870; half a standard error stops them at
0.902 and 0.908, for 9% and 23% more calls. The margin grows as the batch shrinks, where the
split-half is noisiest (se 0.039 at 0.90 over 30 essays, 0.014 over 200).
"""

from __future__ import annotations

from dataclasses import dataclass

from cj_service.domain.reliability import split_half_se

CONTINUE = "continue"
FINALIZE = "finalize"
FAIL = "fail"

REASON_RELIABILITY = "reliability_reached"
REASON_BUDGET = "budget_spent"
REASON_INSUFFICIENT = "insufficient_essays"
REASON_JUDGE_FAILING = "judge_success_rate_below_threshold"
REASON_NONE = ""


@dataclass(frozen=True)
class StopPolicy:
    target_reliability: float = 0.90
    min_comparisons_per_essay: float = 4.0  # every essay; the figure is too noisy before
    margin_se: float = 0.5  # the figure must clear the target by this many standard errors
    min_success_rate: float = 0.5
    min_attempts_for_failure: int = 20
    window: int = 20  # comparisons kept in flight


@dataclass(frozen=True)
class Progress:
    n_essays: int
    done: int  # comparisons with a verdict
    failed: int  # comparisons that ended without one (after their retries)
    in_flight: int
    budget: int  # most verdicts + in-flight comparisons the batch may spend
    reliability: float | None  # honest split-half of the two chains (design.py); None = no fit
    fewest_per_essay: int  # judged comparisons of the least-compared essay at that fit


@dataclass(frozen=True)
class Decision:
    action: str
    reason: str
    submit: int = 0
    detail: str = ""


def decide(progress: Progress, policy: StopPolicy = StopPolicy()) -> Decision:
    if progress.n_essays < 2:
        return Decision(FINALIZE, REASON_INSUFFICIENT, detail=f"{progress.n_essays} essay(s)")
    failing = _failing_judge(progress, policy)
    if failing is not None:
        return failing
    se = split_half_se(progress.reliability or 0.0, progress.n_essays)
    if _reliable(progress, policy, se):
        detail = (
            f"reliability {progress.reliability:.3f} (se {se:.3f}) - {policy.margin_se:g} se"
            f" >= {policy.target_reliability:.3f}"
        )
        return Decision(FINALIZE, REASON_RELIABILITY, detail=detail)
    remaining = progress.budget - progress.done - progress.in_flight
    if remaining <= 0:
        if progress.in_flight > 0:
            return Decision(CONTINUE, REASON_NONE, detail="budget committed; awaiting results")
        return Decision(FINALIZE, REASON_BUDGET, detail=f"{progress.done} verdicts")
    submit = max(0, min(policy.window - progress.in_flight, remaining))
    return Decision(CONTINUE, REASON_NONE, submit=submit)


def _failing_judge(progress: Progress, policy: StopPolicy) -> Decision | None:
    attempts = progress.done + progress.failed
    if attempts < policy.min_attempts_for_failure:
        return None
    rate = progress.done / attempts
    if rate >= policy.min_success_rate:
        return None
    detail = f"success rate {rate:.2f} < {policy.min_success_rate:.2f} over {attempts} attempts"
    return Decision(FAIL, REASON_JUDGE_FAILING, detail=detail)


def _reliable(progress: Progress, policy: StopPolicy, se: float) -> bool:
    if progress.reliability is None:
        return False
    enough = progress.fewest_per_essay >= policy.min_comparisons_per_essay
    margin = policy.margin_se * se if policy.margin_se else 0.0  # 0 * inf (< 4 essays) is nan
    return enough and progress.reliability - margin >= policy.target_reliability
