"""Tell llm_provider that a batch ended, so its queued and in-flight comparisons stop.

Best effort and after commit: the batch has ended whatever llm_provider answers. A call that
failed is retried by the watchdog's next rounds (for an hour after the batch ended); a
llm_provider without CancelComparisons (UNIMPLEMENTED) is not asked again. The comparisons it
cancels still publish one result each (error CANCELLED with the tokens used), which the
results consumer counts towards the batch's spend as late results.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from cj_service.service.workflow.contexts import Judging
from cj_service.service.workflow.effects import cancel_reason
from cj_service.service.workflow.ports import CancelUnsupported, JudgeUnavailable

log = structlog.get_logger("cj_service.provider_cancel")
SETTLE_S = 5.0  # the post-commit call of an assessment that just ended is still running
RETRY_WITHIN_S = 3600.0


async def cancel_group(ctx: Judging, batch_id: str, reason: str) -> bool:
    """Ask llm_provider once to drop the assessment's comparisons; True once it has the
    message (or cannot cancel at all)."""
    try:
        cancelled = await ctx.judge.cancel(batch_id, reason)
    except JudgeUnavailable as err:
        log.warning("cancel_comparisons_failed", batch_id=batch_id, code=err.code,
                    detail=err.detail)
        return False
    except CancelUnsupported:
        log.warning("cancel_comparisons_unimplemented", batch_id=batch_id)
        cancelled = False
    async with ctx.store.transaction() as tx:
        await tx.assessments.mark_llm_cancelled(batch_id)
    log.info("comparisons_cancelled", batch_id=batch_id, reason=reason, cancelled=cancelled)
    return True


async def retry_pending(ctx: Judging, *, settle_s: float = SETTLE_S) -> int:
    """Ask again for the assessments whose cancellation did not reach llm_provider."""
    async with ctx.store.read() as tx:
        pending = await tx.assessments.uncancelled(settle_s=settle_s, within_s=RETRY_WITHIN_S)
    # At once, not one after another: a hung llm_provider costs one call timeout, not one per
    # assessment, before the watchdog's next round of stall and patience checks.
    done = await asyncio.gather(
        *(cancel_group(ctx, b, cancel_reason(state, why)) for b, state, why in pending)
    )
    return sum(done)


class GroupCanceller:
    """The workflow's cancel_group: each call runs `cancel` (cancel_group bound to the
    workflow, bootstrap wires it) in the background; stop() waits a moment for them."""

    def __init__(self, cancel: Callable[[str, str], Awaitable[bool]]) -> None:
        self._cancel = cancel
        self._tasks: set[asyncio.Task] = set()

    def request(self, batch_id: str, reason: str) -> None:
        task = asyncio.create_task(self._run(batch_id, reason), name=f"cancel-{batch_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, batch_id: str, reason: str) -> None:
        try:
            await self._cancel(batch_id, reason)
        except Exception:  # the watchdog retries; never let a task die loudly
            log.exception("cancel_comparisons_crashed", batch_id=batch_id)

    async def idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
