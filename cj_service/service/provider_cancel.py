"""Tell llm_provider that a batch ended, so its queued and in-flight comparisons stop.

Best effort and after commit: the batch has ended whatever llm_provider answers. A call that
failed is retried by the watchdog's next rounds (for an hour after the batch ended); a
llm_provider without CancelComparisons (UNIMPLEMENTED) is not asked again. The comparisons it
cancels still publish one result each (error CANCELLED with the tokens used), which the
results consumer counts towards the batch's spend as late results.
"""

from __future__ import annotations

import asyncio

import grpc
import structlog

from cj_service.adapters import batch_repo
from cj_service.service.deps import Deps
from cj_service.service.effects import cancel_reason

log = structlog.get_logger("cj_service.provider_cancel")
SETTLE_S = 5.0  # the post-commit call of a batch that just ended is still running
RETRY_WITHIN_S = 3600.0


async def cancel_group(deps: Deps, batch_id: str, reason: str) -> bool:
    """One CancelComparisons(group_id=batch id); True once llm_provider has the message."""
    try:
        cancelled = await deps.llm.cancel(batch_id, reason)
    except grpc.aio.AioRpcError as err:
        if err.code() != grpc.StatusCode.UNIMPLEMENTED:
            log.warning(
                "cancel_comparisons_failed",
                batch_id=batch_id,
                code=err.code().name,
                detail=err.details(),
            )
            return False
        log.warning("cancel_comparisons_unimplemented", batch_id=batch_id)
        cancelled = False
    async with deps.db.transaction() as conn:
        await batch_repo.mark_llm_cancelled(conn, batch_id)
    log.info("comparisons_cancelled", batch_id=batch_id, reason=reason, cancelled=cancelled)
    return True


async def retry_pending(deps: Deps, *, settle_s: float = SETTLE_S) -> int:
    """Ask again for the batches whose cancellation did not reach llm_provider."""
    async with deps.db.read() as conn:
        pending = await batch_repo.uncancelled_batch_ids(
            conn, settle_s=settle_s, within_s=RETRY_WITHIN_S
        )
    # At once, not one after another: a hung llm_provider costs one call timeout, not one per
    # batch, before the watchdog's next round of stall and patience checks.
    done = await asyncio.gather(
        *(cancel_group(deps, b, cancel_reason(state, why)) for b, state, why in pending)
    )
    return sum(done)


class GroupCanceller:
    """deps.cancel_group: each call runs in the background; stop() waits a moment for them."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._tasks: set[asyncio.Task] = set()

    def request(self, batch_id: str, reason: str) -> None:
        task = asyncio.create_task(self._run(batch_id, reason), name=f"cancel-{batch_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, batch_id: str, reason: str) -> None:
        try:
            await cancel_group(self._deps, batch_id, reason)
        except Exception:  # the watchdog retries; never let a task die loudly
            log.exception("cancel_comparisons_crashed", batch_id=batch_id)

    async def idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
