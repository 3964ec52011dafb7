"""Send PENDING comparisons to llm_provider and record what it accepted.

Rows are persisted PENDING before anything is sent; after SubmitComparisons accepts them they
become SUBMITTED. A crash in between leaves PENDING rows that the recovery loop re-sends:
llm_provider dedupes on request_id (= comparison id), so nothing is judged or paid twice.
Requests it rejects outright become failed comparisons through the normal apply path, for
good (not retryable): a pair whose message would not fit NATS (CONTENT_TOO_LARGE) is failed
at once, never re-sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import structlog

from cj_service.domain.assessment import Assessment
from cj_service.service.workflow import apply, effects
from cj_service.service.workflow.contexts import Dispatching
from cj_service.service.workflow.ports import JudgeUnavailable
from cj_service.service.workflow.records import Submission, ToJudge

log = structlog.get_logger("cj_service.dispatch")
RETRY_LATER = frozenset({"QUEUE_FULL", "DEPENDENCY_UNAVAILABLE"})


class Dispatcher:
    """One background send per assessment at a time; a kick during a send schedules one more
    pass. `send` is send_pending bound to the workflow (bootstrap wires it)."""

    def __init__(self, send: Callable[[str], Awaitable[None]]) -> None:
        self._send = send
        self._tasks: dict[str, asyncio.Task] = {}
        self._again: set[str] = set()

    def kick(self, batch_id: str) -> None:
        if batch_id in self._tasks:
            self._again.add(batch_id)
            return
        self._tasks[batch_id] = asyncio.create_task(
            self._run(batch_id), name=f"dispatch-{batch_id}"
        )

    async def _run(self, batch_id: str) -> None:
        try:
            while True:
                self._again.discard(batch_id)
                await self._send(batch_id)
                if batch_id not in self._again:
                    return
        except Exception:  # the recovery loop will try again; never kill the loop
            log.exception("dispatch_failed", batch_id=batch_id)
        finally:
            self._tasks.pop(batch_id, None)

    async def idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def stop(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await self.idle()


async def send_pending(ctx: Dispatching, batch_id: str) -> None:
    """Send the assessment's PENDING comparisons in chunks until none are left or
    llm_provider pushes back."""
    while True:
        found = await _pending(ctx, batch_id)
        if found is None:
            return
        a, pairs = found
        try:
            outcomes = await ctx.judge.submit(a, pairs)
        except JudgeUnavailable as err:
            ctx.metrics.dispatched.labels(outcome="unavailable").inc(len(pairs))
            log.warning("submit_comparisons_failed", batch_id=batch_id, code=err.code,
                        detail=err.detail, requests=len(pairs))
            return
        if not await _record(ctx, batch_id, outcomes) or len(pairs) < ctx.pipeline.submit_chunk:
            return


async def _pending(ctx: Dispatching, batch_id: str) -> tuple[Assessment, list[ToJudge]] | None:
    """The live assessment and a chunk of its PENDING comparisons with their texts."""
    async with ctx.store.read() as tx:
        a = await tx.assessments.get(batch_id)
        if a is None or not a.is_live:
            return None
        rows = await tx.comparisons.pending(batch_id, limit=ctx.pipeline.submit_chunk)
        texts = await tx.assessments.essay_texts(
            batch_id, [i for r in rows for i in (r.idx_a, r.idx_b)]
        )
    if not rows:
        return None
    return a, [ToJudge(r.id, texts[r.idx_a], texts[r.idx_b]) for r in rows]


async def _record(ctx: Dispatching, batch_id: str, outcomes: Sequence[Submission]) -> bool:
    """Mark accepted comparisons SUBMITTED, fail rejected ones; False when llm_provider
    pushed back."""
    accepted = [o.comparison_id for o in outcomes if o.accepted]
    later = [o for o in outcomes if not o.accepted and o.rejection_reason in RETRY_LATER]
    rejected = [o for o in outcomes if not o.accepted and o.rejection_reason not in RETRY_LATER]
    if accepted:
        async with ctx.store.transaction() as tx:
            await tx.comparisons.mark_submitted(accepted)
    _count(ctx, accepted=len(accepted), later=len(later), rejected=len(rejected))
    if rejected:
        log.warning(
            "comparisons_rejected",
            batch_id=batch_id,
            count=len(rejected),
            reason=rejected[0].rejection_reason,
            message=rejected[0].rejection_message,
        )
        failed = [o.refused for o in rejected if o.refused is not None]
        out = await apply.apply_results(ctx, batch_id, failed)
        effects.after_commit(ctx, out)
    return not later


def _count(ctx: Dispatching, **counts: int) -> None:
    for outcome, n in counts.items():
        if n:
            ctx.metrics.dispatched.labels(outcome=outcome).inc(n)
