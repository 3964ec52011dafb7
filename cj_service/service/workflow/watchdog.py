"""No batch waits forever: finalize or fail batches that made no progress within their timeout.

The watchdog takes the same row lock as every step but with SKIP LOCKED, and re-checks the
staleness under the lock: a batch whose step is running right now is simply left for the
next round, so the watchdog never races a continuation (the seed's monitor did).

It also applies the provider-patience rule (domain/judge_health.py: no verdict for the
batch's provider_patience and only provider-health failures since the last one fail the
batch as PROVIDER_UNAVAILABLE; a provider answering 504 kept a batch RUNNING for an hour),
and re-sends the cancellations llm_provider did not confirm (provider_cancel.py).

One assessment cannot break a round: its stored timeouts are used within a sane range
(adapters/batch_repo.py MAX_TIMEOUT_S), and a check that fails is logged and counted (action
"error") while the round goes on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog

from cj_service.domain import judge_health
from cj_service.domain.assessment import Assessment
from cj_service.service.workflow import effects, finish, provider_cancel
from cj_service.service.workflow.contexts import Dispatching, Ending, Step
from cj_service.service.workflow.model import Status, StepOutcome

log = structlog.get_logger("cj_service.watchdog")
async def sweep(ctx: Dispatching) -> list[StepOutcome]:
    """One watchdog round over every stalled or impatient assessment, then the
    cancellations."""
    async with ctx.store.read() as tx:
        stalled = await tx.assessments.stalled_ids()
        impatient = await tx.assessments.impatient_ids()
    outcomes = [await _guarded(ctx, check_batch, b) for b in stalled]
    outcomes += [await _guarded(ctx, check_patience, b) for b in impatient if b not in stalled]
    await provider_cancel.retry_pending(ctx)
    return [o for o in outcomes if o.finished]


async def _guarded(
    ctx: Ending, check: Callable[[Ending, str], Awaitable[StepOutcome]], batch_id: str
) -> StepOutcome:
    """One assessment's check; a failure is logged and counted, and the round goes on."""
    try:
        return await check(ctx, batch_id)
    except Exception:
        log.exception("watchdog_check_failed", batch_id=batch_id, check=check.__name__)
        ctx.metrics.watchdog.labels(action="error").inc()
        return StepOutcome(batch_id)


async def check_batch(ctx: Ending, batch_id: str) -> StepOutcome:
    out = StepOutcome(batch_id)
    async with ctx.store.transaction() as tx:
        a = await tx.assessments.lock_stalled(batch_id)
        if a is None:  # progressed meanwhile, finished, or locked by a running step
            return out
        await _end(Step(tx, ctx, out), a)
    if out.finished:
        ctx.metrics.watchdog.labels(action=f"{out.finished.lower()}").inc()
    effects.after_commit(ctx, out)
    return out


async def check_patience(ctx: Ending, batch_id: str) -> StepOutcome:
    """Fail a live assessment whose provider has been down for longer than its patience."""
    out = StepOutcome(batch_id)
    async with ctx.store.transaction() as tx:
        a = await tx.assessments.lock_live(batch_id)
        since = _since_verdict_s(a, ctx.clock.now()) if a is not None else 0.0
        if a is None or not _impatient(a, since):
            return out
        detail = _unavailable(a, since)
        await finish.fail(Step(tx, ctx, out), a, "PROVIDER_UNAVAILABLE", detail)
    ctx.metrics.watchdog.labels(action="provider_unavailable").inc()
    effects.after_commit(ctx, out)
    return out


def _since_verdict_s(a: Assessment, now: datetime) -> float:
    last = a.verdict_at or a.created_at
    return 0.0 if last is None else (now - last).total_seconds()


def _impatient(a: Assessment, since_verdict_s: float) -> bool:
    return judge_health.provider_unavailable(
        since_verdict_s=since_verdict_s,
        patience_s=a.provider_patience_s,
        failed_since_verdict=a.failed_since_verdict,
    )


def _unavailable(a: Assessment, since_verdict_s: float) -> str:
    return judge_health.unavailable_detail(
        judge=a.judge,
        since_verdict_s=since_verdict_s,
        failed_since_verdict=a.failed_since_verdict,
        last=a.last_error,
    )


def enough_verdicts(a: Assessment) -> bool:
    """At least as many verdicts as essays (every essay judged twice on average)."""
    return a.comparisons_done >= max(1, a.n_texts)


async def _end(step: Step, a: Assessment) -> None:
    if enough_verdicts(a):
        await finish.finalize(step, a, "STALLED")
        return
    never_sent = await step.tx.comparisons.count_status(a.id, Status.SUBMITTED) == 0
    if a.comparisons_done + a.comparisons_failed == 0 and never_sent:
        detail = f"no comparison was accepted by llm_provider within {a.stall_timeout_s:.0f}s"
        await finish.fail(step, a, "SUBMISSION_FAILED", detail)
        return
    detail = judge_health.with_failures(
        f"no progress within {a.stall_timeout_s:.0f}s with {a.comparisons_done} "
        "verdicts, too few to finalize",
        a.failed_attempts,
    )
    await finish.fail(step, a, "STALLED", detail)
