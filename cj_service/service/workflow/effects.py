"""What happens after a step's transaction commits: metrics, dispatch, outbox wake-up, and
for a batch that ended, the cancellation of its comparisons still queued in llm_provider."""

from __future__ import annotations

import structlog

from cj_service.service.workflow.contexts import AfterCommit
from cj_service.service.workflow.model import StepOutcome

log = structlog.get_logger("cj_service.steps")


def cancel_reason(state: str, reason: str) -> str:
    """Why llm_provider is asked to drop a batch's comparisons, e.g. "assessment failed
    (JUDGE_MISCONFIGURED)"."""
    return f"assessment {state.lower()} ({reason})" if reason else f"assessment {state.lower()}"


def after_commit(ctx: AfterCommit, out: StepOutcome) -> None:
    m = ctx.metrics
    for outcome, n in out.outcomes.items():
        m.comparisons.labels(outcome=outcome).inc(n)
    for seconds in out.latencies:
        m.callback_latency.observe(seconds)
    if out.refit_seconds:
        m.refit_duration.labels(kind="incremental").observe(out.refit_seconds)
    if out.final_fit_seconds:
        m.refit_duration.labels(kind="final").observe(out.final_fit_seconds)
    if out.planned:
        m.top_ups.inc()
        m.planned.labels(kind="top_up").inc(out.planned)
    if out.dispatch:
        ctx.kick(out.batch_id)
    if out.finished:
        m.batch_transitions.labels(state=out.finished, reason=out.reason).inc()
        if out.duration_s is not None:
            m.batch_duration.observe(out.duration_s)
        ctx.notify_outbox()
        ctx.cancel_group(out.batch_id, cancel_reason(out.finished, out.reason))
        log.info("batch_finished", batch_id=out.batch_id, state=out.finished, reason=out.reason)
