"""CancelAssessment: a guarded transition to CANCELLED; in-flight results are later ignored."""

from __future__ import annotations

from cj_service.domain.assessment import Assessment, State
from cj_service.service import limits
from cj_service.service.validation import request_id_conflict
from cj_service.service.workflow import effects, finish
from cj_service.service.workflow.contexts import Ending, Step
from cj_service.service.workflow.model import CancelCommand, StepOutcome
from cj_service.service.workflow.ports import UnitOfWork
from contracts import text
from contracts.errors import failed_precondition, not_found


async def cancel_assessment(ctx: Ending, cmd: CancelCommand) -> Assessment:
    """Cancelling a cancelled assessment returns it unchanged (safe to retry); one that
    ended otherwise is refused."""
    _check(cmd)
    out = StepOutcome(cmd.assessment_id)
    async with ctx.store.transaction() as tx:
        a = await tx.assessments.lock(cmd.assessment_id)
        if a is None:
            named = text.clip(cmd.assessment_id)
            raise not_found("ASSESSMENT_NOT_FOUND", f"no assessment {named!r}",
                            assessment_id=named)
        if cmd.request_id:
            await _claim(tx, cmd)
        if a.state == State.CANCELLED:
            return a
        if not a.is_live:
            raise failed_precondition(
                "INVALID_STATE",
                f"assessment {a.id} is already {a.state}",
                state=a.state.value,
            )
        a = await finish.cancel(Step(tx, ctx, out), a, cmd.reason or "cancelled on request")
    effects.after_commit(ctx, out)
    return a


def _check(cmd: CancelCommand) -> None:
    text.check("assessment_id", cmd.assessment_id, limits.REQUIRED_ID)
    text.check("request_id", cmd.request_id, limits.ID)
    text.check("reason", cmd.reason, limits.REASON)


async def _claim(tx: UnitOfWork, cmd: CancelCommand) -> None:
    """A request_id names one cancellation; reusing it for another assessment is a conflict."""
    if await tx.assessments.claim_request(
        "cancel", cmd.request_id, fingerprint=cmd.reason, assessment_id=cmd.assessment_id
    ):
        return
    seen = await tx.assessments.find_request("cancel", cmd.request_id)
    if seen is not None and seen.batch_id != cmd.assessment_id:
        raise request_id_conflict(
            cmd.request_id, f"request_id {text.clip(cmd.request_id)!r} cancelled another "
            "assessment")
