"""CancelAssessment: a guarded transition to CANCELLED; in-flight results are later ignored."""

from __future__ import annotations

from sqlalchemy.engine import Row

from cj_service.adapters import batch_repo
from cj_service.service import effects, finish
from cj_service.service.deps import Deps
from cj_service.service.model import CancelCommand, State, StepOutcome
from contracts.errors import failed_precondition, invalid_argument, not_found


async def cancel_assessment(deps: Deps, cmd: CancelCommand) -> Row:
    """Cancelling a cancelled batch returns it unchanged (safe to retry); a finished one is
    refused."""
    if not cmd.assessment_id:
        raise invalid_argument(
            "INVALID_ARGUMENT", "assessment_id is required", field="assessment_id"
        )
    out = StepOutcome(cmd.assessment_id)
    async with deps.db.transaction() as conn:
        found = await batch_repo.lock_batch(conn, cmd.assessment_id)
        if found is None:
            raise not_found(
                "ASSESSMENT_NOT_FOUND",
                f"no assessment {cmd.assessment_id!r}",
                assessment_id=cmd.assessment_id,
            )
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


async def _claim(conn, cmd: CancelCommand) -> None:
    """A request_id names one cancellation; reusing it for another batch is a conflict."""
    if await batch_repo.claim_request(
        conn, "cancel", cmd.request_id, fingerprint=cmd.reason, batch_id=cmd.assessment_id
    ):
        return
    seen = await batch_repo.find_request(conn, "cancel", cmd.request_id)
    if seen is not None and seen.batch_id != cmd.assessment_id:
        raise invalid_argument(
            "REQUEST_ID_CONFLICT",
            f"request_id {cmd.request_id!r} cancelled another assessment",
            request_id=cmd.request_id,
        )
