"""Assessment instructions: upsert, get, list (paged), delete.

Upsert semantics: an empty field in the command keeps what is stored (proto3 cannot tell
"unset" from "empty"), so an operator can set the scale first and the text later. Grade scale
and context origin are immutable once set: anchors and finished assessments were graded on
that scale, and a canonical assignment must not quietly become an overridable one.
Deleting an instruction leaves its anchors in place, and the scale stays theirs: while an
assignment has anchors, its instruction (re-created or not) may only take their scale, so a
grade is never read on a scale it was not given on. Deleting the anchors frees the scale.
"""

from __future__ import annotations

from typing import Any

from cj_service.service import limits
from cj_service.service.admin.checks import context_text, scale_named, validate_scope
from cj_service.service.admin.idempotency import commit_once, key_for, replay_of
from cj_service.service.admin.models import (
    InstructionFields,
    InstructionRecord,
    Page,
    Scope,
    UpsertInstruction,
    instruction_from_json,
    to_json,
)
from cj_service.service.admin.paging import decode_token, encode_token, page_size
from cj_service.service.admin.ports import AdminRepository, AdminTx
from contracts.errors import failed_precondition, not_found

DEFAULT_PAGE, MAX_PAGE = limits.INSTRUCTIONS_PAGE
_IMMUTABLE = ("grade_scale_id", "context_origin")


async def upsert_instruction(
    cmd: UpsertInstruction, *, repo: AdminRepository
) -> tuple[InstructionRecord, bool]:
    """(stored instruction, created by this call)."""
    key = key_for("UpsertAssessmentInstruction", cmd)
    validate_scope(cmd.scope)
    context_text("instructions_text", cmd.instructions_text, required=False)
    if cmd.grade_scale_id:
        scale_named(cmd.grade_scale_id)
    result = await replay_of(repo, key)
    if result is None:
        result = await commit_once(repo, key, lambda tx: _upsert(tx, cmd))
    return instruction_from_json(result["instruction"]), bool(result["created"])


async def _upsert(tx: AdminTx, cmd: UpsertInstruction) -> dict[str, Any]:
    fields = InstructionFields(instructions_text=cmd.instructions_text,
                               grade_scale_id=cmd.grade_scale_id,
                               context_origin=cmd.context_origin)
    existing = await tx.lock_instruction(cmd.scope)
    if fields.grade_scale_id and cmd.scope.assignment_id:
        await _check_anchor_scales(tx, cmd.scope.assignment_id, fields.grade_scale_id)
    created = existing is None and await tx.insert_instruction(cmd.scope, fields)
    if not created:
        existing = existing or await tx.lock_instruction(cmd.scope)
        assert existing is not None  # the insert lost to a committed row
        _check_immutable(existing, fields)
        await tx.update_instruction(cmd.scope, fields)
    stored = await tx.lock_instruction(cmd.scope)
    assert stored is not None
    return {"instruction": to_json(stored), "created": created}


def _check_immutable(existing: InstructionRecord, fields: InstructionFields) -> None:
    for field in _IMMUTABLE:
        current, wanted = str(getattr(existing, field)), str(getattr(fields, field))
        if current and wanted and wanted != current:
            raise failed_precondition(
                "IMMUTABLE_FIELD",
                f"{field} of {existing.scope.key} is {current!r} and cannot change to "
                f"{wanted!r}", field=field, current=current)


async def _check_anchor_scales(tx: AdminTx, assignment_id: str, scale: str) -> None:
    others = sorted(set(await tx.anchor_scales(assignment_id)) - {scale})
    if others:
        raise failed_precondition(
            "IMMUTABLE_FIELD",
            f"assignment {assignment_id!r} has anchors graded on {', '.join(others)}; its "
            f"grade_scale_id cannot become {scale!r} until they are deleted",
            field="grade_scale_id", current=",".join(others))


async def get_instruction(scope: Scope, *, repo: AdminRepository) -> InstructionRecord:
    record = await repo.get_instruction(validate_scope(scope))
    if record is None:
        raise _not_found(scope)
    return record


def _not_found(scope: Scope) -> Exception:
    return not_found("INSTRUCTION_NOT_FOUND", f"no instruction for {scope.key}",
                     scope=scope.key)


async def list_instructions(
    *, repo: AdminRepository, size: int, token: str, grade_scale_id: str
) -> Page[InstructionRecord]:
    if grade_scale_id:
        scale_named(grade_scale_id)
    limit = page_size(size, default=DEFAULT_PAGE, maximum=MAX_PAGE)
    after = decode_token(token, filter_=grade_scale_id) or ""
    records, total = await repo.list_instructions(after_key=after, limit=limit + 1,
                                                  grade_scale_id=grade_scale_id)
    more = len(records) > limit
    records = records[:limit]
    next_token = encode_token(records[-1].scope.key, filter_=grade_scale_id) if more else ""
    return Page(tuple(records), next_token, total)


async def delete_instruction(scope: Scope, *, repo: AdminRepository) -> bool:
    """True; an unknown scope is NOT_FOUND, as an unknown id is everywhere."""
    if not await repo.delete_instruction(validate_scope(scope)):
        raise _not_found(scope)
    return True


async def existing_instruction(repo: AdminRepository, assignment_id: str) -> InstructionRecord:
    record = await repo.get_instruction(Scope(assignment_id=assignment_id))
    if record is None:
        raise no_instruction(assignment_id)
    return record


def no_instruction(assignment_id: str) -> Exception:
    return not_found("INSTRUCTION_NOT_FOUND",
                     f"assignment {assignment_id!r} has no assessment instruction; "
                     "upsert one first", assignment_id=assignment_id)
