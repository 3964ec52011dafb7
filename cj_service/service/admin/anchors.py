"""Anchor essays of known grade: register (idempotent upsert), list with counts, delete.

An anchor belongs to an assignment and to the assignment's grade scale at registration; the
upsert key is assignment + label + scale, so re-registering a label changes its grade or
text instead of adding a second copy. The anchor id is derived from that key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cj_service.domain.grade_scales import GradeScale, get_scale, is_valid_grade
from cj_service.service import limits
from cj_service.service.admin.checks import require
from cj_service.service.admin.idempotency import commit_once, key_for, replay_of
from cj_service.service.admin.instructions import existing_instruction
from cj_service.service.admin.models import (
    AnchorRecord,
    NewAnchor,
    RegisterAnchor,
    Scope,
    anchor_from_json,
    to_json,
)
from cj_service.service.admin.paging import decode_token, encode_token, is_key, page_size
from cj_service.service.admin.ports import AdminRepository, AdminTx, TextStore
from cj_service.service.validation import check_content_id, check_essay_text
from contracts import ids, text
from contracts.errors import failed_precondition, invalid_argument, not_found

DEFAULT_PAGE, MAX_PAGE = limits.ANCHORS_PAGE
DEFAULT_MIN_CHARS = 200


@dataclass(frozen=True)
class AnchorPage:
    anchors: tuple[AnchorRecord, ...]
    next_page_token: str
    counts_by_grade: tuple[tuple[str, int], ...]


def anchor_id_for(assignment_id: str, label: str, grade_scale_id: str) -> str:
    return ids.derived_id("cj-anchor", assignment_id, grade_scale_id, label)


async def register_anchor(cmd: RegisterAnchor, *, repo: AdminRepository, content: TextStore,
                          min_chars: int = DEFAULT_MIN_CHARS) -> tuple[AnchorRecord, bool]:
    """(stored anchor, created by this call)."""
    key = key_for("RegisterAnchor", cmd)
    _check(cmd)
    result = await replay_of(repo, key)
    if result is None:
        scale = await _assignment_scale(repo, cmd.assignment_id)
        _check_grade(scale, cmd.grade)
        content_id = await _store_text(cmd, content=content, min_chars=min_chars)
        result = await commit_once(repo, key, lambda tx: _upsert(tx, cmd, scale, content_id))
    return anchor_from_json(result["anchor"]), bool(result["created"])


def _check(cmd: RegisterAnchor) -> None:
    require("assignment_id", cmd.assignment_id)
    require("label", cmd.label)
    text.check("grade", cmd.grade, limits.NAME)
    if bool(cmd.text) == bool(cmd.content_id):
        raise invalid_argument("INVALID_ARGUMENT", "give exactly one of text or content_id",
                               field="source")
    if cmd.content_id:
        check_content_id("content_id", cmd.content_id)
    else:
        check_essay_text("text", cmd.text)


async def _assignment_scale(repo: AdminRepository, assignment_id: str) -> GradeScale:
    instruction = await existing_instruction(repo, assignment_id)
    if not instruction.grade_scale_id:
        raise failed_precondition(
            "UNKNOWN_GRADE_SCALE", f"assignment {assignment_id!r} has no grade scale; set "
            "grade_scale_id on its instruction first", assignment_id=assignment_id)
    return get_scale(instruction.grade_scale_id)


def _check_grade(scale: GradeScale, grade: str) -> None:
    if not is_valid_grade(scale, grade):
        raise invalid_argument(
            "INVALID_GRADE", f"grade {grade!r} is not on scale {scale.id} "
            f"({', '.join(scale.labels)})", grade=grade, grade_scale_id=scale.id)


async def _store_text(cmd: RegisterAnchor, *, content: TextStore, min_chars: int) -> str:
    body = cmd.text
    if cmd.content_id:
        body = (await content.fetch_texts([cmd.content_id])).get(cmd.content_id, "")
        if not body:
            raise not_found("CONTENT_NOT_FOUND", f"content {cmd.content_id} is not stored",
                            content_id=cmd.content_id)
        check_essay_text("content_id", body)  # stored by anyone, for any purpose
    length = len(body.strip())
    if length < min_chars:
        raise invalid_argument(
            "ANCHOR_TOO_SHORT", f"anchor text has {length} characters; at least {min_chars} "
            "are required", length=str(length), minimum=str(min_chars))
    return cmd.content_id or await content.put_text(cmd.text, request_id=cmd.request_id)


async def _upsert(tx: AdminTx, cmd: RegisterAnchor, scale: GradeScale,
                  content_id: str) -> dict[str, Any]:
    # Lock the instruction so a concurrent delete cannot leave an anchor without one.
    if await tx.lock_instruction(Scope(assignment_id=cmd.assignment_id)) is None:
        raise not_found("INSTRUCTION_NOT_FOUND", f"assignment {cmd.assignment_id!r} has no "
                        "assessment instruction", assignment_id=cmd.assignment_id)
    anchor, created = await tx.upsert_anchor(NewAnchor(
        anchor_id=anchor_id_for(cmd.assignment_id, cmd.label, scale.id),
        assignment_id=cmd.assignment_id, label=cmd.label, grade=cmd.grade,
        grade_scale_id=scale.id, content_id=content_id))
    return {"anchor": to_json(anchor), "created": created}


async def list_anchors(assignment_id: str, *, repo: AdminRepository, size: int,
                       token: str) -> AnchorPage:
    """Every anchor of the assignment (any scale); counts over its current scale, low to high."""
    require("assignment_id", assignment_id)
    limit = page_size(size, default=DEFAULT_PAGE, maximum=MAX_PAGE)
    after = decode_token(token, filter_=assignment_id, valid=_is_anchor_position)
    rows = await repo.list_anchors(assignment_id, after=tuple(after) if after else None,
                                   limit=limit + 1)
    page = rows[:limit]
    next_token = ""
    if len(rows) > limit:
        last = page[-1]
        next_token = encode_token([last.label, last.grade_scale_id, last.anchor_id],
                                  filter_=assignment_id)
    return AnchorPage(tuple(page), next_token, await _counts(repo, assignment_id))


def _is_anchor_position(position: Any) -> bool:
    return isinstance(position, list) and len(position) == 3 and all(map(is_key, position))


async def _counts(repo: AdminRepository, assignment_id: str) -> tuple[tuple[str, int], ...]:
    instruction = await repo.get_instruction(Scope(assignment_id=assignment_id))
    if instruction is None or not instruction.grade_scale_id:
        return ()
    scale = get_scale(instruction.grade_scale_id)
    counts = await repo.anchor_counts(assignment_id, scale.id)
    shown = [g for g in scale.labels if g in scale.grades or counts.get(g)]
    return tuple((grade, counts.get(grade, 0)) for grade in shown)


async def delete_anchor(anchor_id: str, *, repo: AdminRepository) -> bool:
    """True; an unknown anchor is NOT_FOUND, as an unknown id is everywhere."""
    if not await repo.delete_anchor(require("anchor_id", anchor_id)):
        raise not_found("ANCHOR_NOT_FOUND", f"no anchor {anchor_id!r}", anchor_id=anchor_id)
    return True
