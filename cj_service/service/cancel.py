"""CancelAssessment: a guarded transition to CANCELLED; in-flight results are later ignored."""

from __future__ import annotations

from sqlalchemy.engine import Row

from cj_service.adapters import batch_repo
from cj_service.service import effects, finish, limits
from cj_service.service.deps import Deps
from cj_service.service.model import CancelCommand, State, StepOutcome
from cj_service.service.validation import request_id_conflict
from contracts import text
from contracts.errors import failed_precondition, not_found


async def cancel_assessment(deps: Deps, cmd: CancelCommand) -> Row:
    """Cancelling a cancelled batch returns it unchanged (safe to retry); a finished one is
    refused."""
    _check(cmd)
    out = StepOutcome(cmd.assessment_id)
    async with deps.db.transaction() as conn:
        found = await batch_repo.lock_batch(conn, cmd.assessment_id)
        if found is None:
            named = text.clip(cmd.assessment_id)
            raise not_found("ASSESSMENT_NOT_FOUND", f"no assessment {named!r}",
                            assessment_id=named)
        batch: Row = found
        if cmd.request_id:
            await _claim(conn, cmd)
        if batch.state == State.CANCELLED:
            return batch
        if batch.state in (State.COMPLETED, State.FAILED):
            raise failed_precondition(
                "INVALID_STATE",
                f"assessment {batch.id} is already {batch.state}",
                state=batch.state,
            )
        batch = await finish.cancel(conn, batch, cmd.reason or "cancelled on request", deps, out)
    effects.after_commit(deps, out)
    return batch


def _check(cmd: CancelCommand) -> None:
    text.check("assessment_id", cmd.assessment_id, limits.REQUIRED_ID)
    text.check("request_id", cmd.request_id, limits.ID)
    text.check("reason", cmd.reason, limits.REASON)


async def _claim(conn, cmd: CancelCommand) -> None:
    """A request_id names one cancellation; reusing it for another batch is a conflict."""
    if await batch_repo.claim_request(
        conn, "cancel", cmd.request_id, fingerprint=cmd.reason, batch_id=cmd.assessment_id
    ):
        return
    seen = await batch_repo.find_request(conn, "cancel", cmd.request_id)
    if seen is not None and seen.batch_id != cmd.assessment_id:
        raise request_id_conflict(
            cmd.request_id, f"request_id {text.clip(cmd.request_id)!r} cancelled another "
            "assessment")
