"""No batch waits forever: finalize or fail batches that made no progress within their timeout.

The watchdog takes the same row lock as every step but with SKIP LOCKED, and re-checks the
staleness under the lock: a batch whose step is running right now is simply left for the
next round, so the watchdog never races a continuation (the seed's monitor did).

It also applies the provider-patience rule (domain/judge_health.py: no verdict for the
batch's provider_patience and only provider-health failures since the last one fail the
batch as PROVIDER_UNAVAILABLE; a provider answering 504 kept a batch RUNNING for an hour),
and re-sends the cancellations llm_provider did not confirm (provider_cancel.py).

One batch cannot break a round: its stored timeouts are used within
[0, batch_repo.MAX_TIMEOUT_S], and a
check that fails is logged and counted (action "error") while the round goes on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from sqlalchemy import func, select
from sqlalchemy.engine import Row

from cj_service.adapters import batch_repo, comparison_repo
from cj_service.adapters.tables import batches
from cj_service.domain import judge_health
from cj_service.service import effects, finish, provider_cancel, steps
from cj_service.service.deps import Deps
from cj_service.service.model import Status, StepOutcome

log = structlog.get_logger("cj_service.watchdog")
async def sweep(deps: Deps) -> list[StepOutcome]:
    """One watchdog round over every stalled or impatient batch, then the cancellations."""
    async with deps.db.read() as conn:
        stalled = await batch_repo.stalled_batch_ids(conn)
        impatient = await batch_repo.impatient_batch_ids(conn)
    outcomes = [await _guarded(deps, check_batch, b) for b in stalled]
    outcomes += [await _guarded(deps, check_patience, b) for b in impatient if b not in stalled]
    await provider_cancel.retry_pending(deps)
    return [o for o in outcomes if o.finished]


async def _guarded(
    deps: Deps, check: Callable[[Deps, str], Awaitable[StepOutcome]], batch_id: str
) -> StepOutcome:
    """One batch's check; a failure is logged and counted, and the round goes on."""
    try:
        return await check(deps, batch_id)
    except Exception:
        log.exception("watchdog_check_failed", batch_id=batch_id, check=check.__name__)
        deps.metrics.watchdog.labels(action="error").inc()
        return StepOutcome(batch_id)


async def check_batch(deps: Deps, batch_id: str) -> StepOutcome:
    out = StepOutcome(batch_id)
    async with deps.db.transaction() as conn:
        stmt = (
            batches.select()
            .where(batches.c.id == batch_id, batch_repo.STALE)
            .with_for_update(skip_locked=True)
        )
        batch = (await conn.execute(stmt)).first()
        if batch is None:  # progressed meanwhile, finished, or locked by a running step
            return out
        await _end(conn, batch, deps, out)
    if out.finished:
        deps.metrics.watchdog.labels(action=f"{out.finished.lower()}").inc()
    effects.after_commit(deps, out)
    return out


_SINCE_VERDICT = func.extract(
    "epoch", func.now() - func.coalesce(batches.c.verdict_at, batches.c.created_at)
).label("since_verdict_s")


async def check_patience(deps: Deps, batch_id: str) -> StepOutcome:
    """Fail a live batch whose provider has been down for longer than its patience."""
    out = StepOutcome(batch_id)
    async with deps.db.transaction() as conn:
        stmt = (
            select(batches, _SINCE_VERDICT)
            .where(batches.c.id == batch_id, batches.c.state.in_(steps.LIVE))
            .with_for_update(skip_locked=True, of=batches)
        )
        batch = (await conn.execute(stmt)).first()
        if batch is None or not _impatient(batch):
            return out
        await finish.fail(conn, batch, "PROVIDER_UNAVAILABLE", _unavailable(batch), deps, out)
    deps.metrics.watchdog.labels(action="provider_unavailable").inc()
    effects.after_commit(deps, out)
    return out


def _impatient(batch: Row) -> bool:
    return judge_health.provider_unavailable(
        since_verdict_s=float(batch.since_verdict_s),
        patience_s=batch.provider_patience_s,
        failed_since_verdict=batch.failed_since_verdict or {},
    )


def _unavailable(batch: Row) -> str:
    return judge_health.unavailable_detail(
        judge=f"{batch.judge_provider}/{batch.judge_model}",
        since_verdict_s=float(batch.since_verdict_s),
        failed_since_verdict=batch.failed_since_verdict or {},
        last=batch.last_error,
    )


def enough_verdicts(batch: Row) -> bool:
    """At least as many verdicts as essays (every essay judged twice on average)."""
    return batch.comparisons_done >= max(1, batch.essay_count + batch.anchor_count)


async def _end(conn, batch: Row, deps: Deps, out: StepOutcome) -> None:
    if enough_verdicts(batch):
        await finish.finalize(conn, batch, "STALLED", deps, out)
        return
    never_sent = await comparison_repo.count_status(conn, batch.id, Status.SUBMITTED) == 0
    if batch.comparisons_done + batch.comparisons_failed == 0 and never_sent:
        detail = f"no comparison was accepted by llm_provider within {batch.stall_timeout_s:.0f}s"
        await finish.fail(conn, batch, "SUBMISSION_FAILED", detail, deps, out)
        return
    detail = judge_health.with_failures(
        f"no progress within {batch.stall_timeout_s:.0f}s with {batch.comparisons_done} "
        "verdicts, too few to finalize",
        batch.failed_attempts or {},
    )
    await finish.fail(conn, batch, "STALLED", detail, deps, out)
