"""What each applied (or late) result adds to its assessment's judge record: failed
attempts by kind, dropped P(A), verdicts for Essay A, estimated tokens, the last provider
message, and the failures since the last verdict that the provider-patience rule reads.

Late results (the comparison was abandoned when the assessment ended) keep their
comparison's state but their spend is the assessment's: the comparison records the result
once (its attempts, provider or error stay empty until then), so a redelivery is not counted
twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from cj_service.domain import judge_health
from cj_service.domain.assessment import TOKENS, Assessment, Outcomes, Spend
from cj_service.service.workflow.ports import UnitOfWork
from cj_service.service.workflow.records import Result


def spend(results: Sequence[Result]) -> Spend:
    return Spend(
        cost_usd=sum(r.recorded.cost_usd for r in results),
        **{name: sum(getattr(r.recorded, name) for r in results) for name in TOKENS},
        estimated=any(r.estimated for r in results),
    )


def failed_attempts(results: Sequence[Result]) -> dict[str, int]:
    return judge_health.merge_counts({}, *(r.kinds for r in results))


def outcomes(results: Sequence[Result], no_truth_texts: Sequence[int] = ()) -> Outcomes:
    """What `results` (each changed a comparison's state) add to their assessment."""
    judged = sum(1 for r in results if r.judged)
    errors = [r.last_error for r in results if r.last_error]
    return Outcomes(
        judged=judged,
        failed=len(results) - judged,
        spend=spend(results),
        failed_attempts=failed_attempts(results),
        a_wins=sum(1 for r in results if r.a_win),
        probability_a_dropped=sum(1 for r in results if r.probability_a_dropped),
        last_error=errors[-1] if errors else "",
        no_truth_texts=tuple(no_truth_texts),
    )


def misconfiguration(a: Assessment, results: Sequence[Result]) -> str:
    """The JUDGE_MISCONFIGURED detail when a result says the judge cannot be used, else ""."""
    errors = ((r.error_kind, r.error_message) for r in results if r.last_error)
    found = judge_health.first_misconfiguration(errors)
    if found is None:
        return ""
    return judge_health.misconfigured_detail(a.judge, *found, a.failed_attempts)


async def count_late(tx: UnitOfWork, a: Assessment, late: Sequence[Result]) -> Assessment:
    """Add the spend and failed attempts of results that arrived after their comparison was
    abandoned, each once; the comparisons keep their state."""
    counted = [r for r in late if await tx.comparisons.record_late(r.late)]
    if not counted:
        return a
    return await tx.assessments.save(a, a.record_late(spend(counted), failed_attempts(counted)))
