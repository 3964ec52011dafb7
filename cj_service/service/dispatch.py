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

import grpc
import structlog
from google.protobuf.duration_pb2 import Duration

from cj_service.adapters import batch_repo, comparison_repo
from cj_service.service import apply, effects, prompts, views
from cj_service.service.deps import Deps
from cj_service.service.model import TERMINAL
from contracts import subjects
from contracts.huleedu.llm.v1 import llm_pb2

log = structlog.get_logger("cj_service.dispatch")
RETRY_LATER = frozenset({"QUEUE_FULL", "DEPENDENCY_UNAVAILABLE"})
_REJECTION_ERRORS = {
    "CONTEXT_TOO_LONG": llm_pb2.COMPARISON_ERROR_REASON_CONTEXT_TOO_LONG,
    # too large for llm_provider's limits or its work queue's messages (NATS max_payload)
    "CONTENT_TOO_LARGE": llm_pb2.COMPARISON_ERROR_REASON_CONTENT_TOO_LARGE,
    "PROVIDER_NOT_CONFIGURED": llm_pb2.COMPARISON_ERROR_REASON_PROVIDER_NOT_CONFIGURED,
}


class Dispatcher:
    """One background send per batch at a time; a kick during a send schedules one more pass."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
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
                await send_pending(self._deps, batch_id)
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


async def send_pending(deps: Deps, batch_id: str) -> None:
    """Send the batch's PENDING rows in chunks until none are left or llm_provider pushes back."""
    while True:
        requests = await _pending_requests(deps, batch_id)
        if not requests:
            return
        try:
            outcomes = await deps.llm.submit(requests)
        except grpc.aio.AioRpcError as err:
            deps.metrics.dispatched.labels(outcome="unavailable").inc(len(requests))
            log.warning(
                "submit_comparisons_failed",
                batch_id=batch_id,
                code=err.code().name,
                detail=err.details(),
                requests=len(requests),
            )
            return
        if (
            not await _record(deps, batch_id, outcomes)
            or len(requests) < deps.config.pipeline.submit_chunk
        ):
            return


async def _pending_requests(deps: Deps, batch_id: str) -> list[llm_pb2.ComparisonRequest]:
    async with deps.db.read() as conn:
        batch = await batch_repo.get_batch(conn, batch_id)
        if batch is None or batch.state in TERMINAL:
            return []
        rows = await comparison_repo.pending(
            conn, batch_id, limit=deps.config.pipeline.submit_chunk
        )
        texts = await batch_repo.essay_texts(
            conn, batch_id, [i for r in rows for i in (r.idx_a, r.idx_b)]
        )
    blocks = prompts.context_blocks(
        instructions=batch.instructions_text,
        student_prompt=batch.student_prompt_text,
        rubric=batch.rubric_text,
    )
    judge = views.judge(batch)
    ttl = _ttl(deps.config.pipeline.comparison_ttl_s)
    return [
        llm_pb2.ComparisonRequest(
            request_id=r.id,
            results_subject_key=subjects.CJ_RESULTS_KEY,
            metadata={"batch_id": batch_id, "comparison_id": r.id},
            prompt=prompts.render(blocks, texts[r.idx_a], texts[r.idx_b]),
            judge=judge,
            ttl=ttl,
            correlation_id=batch.correlation_id,
            group_id=batch_id,  # CancelComparisons(group_id=batch id) when the batch ends
        )
        for r in rows
    ]


def _ttl(seconds: float) -> Duration | None:
    if seconds <= 0:
        return None
    d = Duration()
    d.FromNanoseconds(int(seconds * 1e9))
    return d


async def _record(deps: Deps, batch_id: str, outcomes: list[llm_pb2.SubmissionOutcome]) -> bool:
    """Mark accepted rows SUBMITTED, fail rejected ones; False when llm_provider pushed back."""
    accepted = [o.request_id for o in outcomes if o.accepted]
    later = [o for o in outcomes if not o.accepted and o.rejection_reason in RETRY_LATER]
    rejected = [o for o in outcomes if not o.accepted and o.rejection_reason not in RETRY_LATER]
    if accepted:
        async with deps.db.transaction() as conn:
            await comparison_repo.mark_submitted(conn, accepted)
    _count(deps, accepted=len(accepted), later=len(later), rejected=len(rejected))
    if rejected:
        log.warning(
            "comparisons_rejected",
            batch_id=batch_id,
            count=len(rejected),
            reason=rejected[0].rejection_reason,
            message=rejected[0].rejection_message,
        )
        out = await apply.apply_results(deps, batch_id, [rejection_result(o) for o in rejected])
        effects.after_commit(deps, out)
    return not later


def _count(deps: Deps, **counts: int) -> None:
    for outcome, n in counts.items():
        if n:
            deps.metrics.dispatched.labels(outcome=outcome).inc(n)


def rejection_result(outcome: llm_pb2.SubmissionOutcome) -> llm_pb2.ComparisonResult:
    """A refused request ends like a non-retryable provider error (no call was made)."""
    reason = _REJECTION_ERRORS.get(
        outcome.rejection_reason, llm_pb2.COMPARISON_ERROR_REASON_INVALID_REQUEST
    )
    error = llm_pb2.ComparisonError(
        reason=reason,
        message=f"{outcome.rejection_reason}: {outcome.rejection_message}",
        retryable=False,
    )
    return llm_pb2.ComparisonResult(request_id=outcome.request_id, error=error)
