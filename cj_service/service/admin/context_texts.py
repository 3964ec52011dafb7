"""Student prompt and judge rubric of an assignment: stored in the content service and
referenced by content id on the assignment's instruction.

The text goes to the content service before the database transaction: content is addressed
by its sha256, so a text stored by a call that then fails is harmless and reused on retry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cj_service.service.admin.checks import context_text, require
from cj_service.service.admin.idempotency import commit_once, key_for, replay_of
from cj_service.service.admin.instructions import existing_instruction, no_instruction
from cj_service.service.admin.models import InstructionFields, Scope, UploadContextText
from cj_service.service.admin.ports import AdminRepository, AdminTx, TextStore
from contracts.errors import not_found

KINDS = {"student_prompt": "UploadStudentPrompt", "judge_rubric": "UploadJudgeRubric"}


@dataclass(frozen=True)
class StoredText:
    assignment_id: str
    content_id: str
    text: str


async def upload_text(cmd: UploadContextText, *, repo: AdminRepository,
                      content: TextStore) -> str:
    """Store the prompt or rubric; return its content id."""
    key = key_for(KINDS[cmd.kind], cmd)
    require("assignment_id", cmd.assignment_id)
    context_text("text", cmd.text, required=True)
    result = await replay_of(repo, key)
    if result is None:
        await existing_instruction(repo, cmd.assignment_id)
        content_id = await content.put_text(cmd.text, request_id=cmd.request_id)
        result = await commit_once(repo, key, lambda tx: _attach(tx, cmd, content_id))
    return str(result["content_id"])


async def _attach(tx: AdminTx, cmd: UploadContextText, content_id: str) -> dict[str, Any]:
    scope = Scope(assignment_id=cmd.assignment_id)
    if await tx.lock_instruction(scope) is None:
        raise no_instruction(cmd.assignment_id)
    await tx.update_instruction(scope, _reference(cmd.kind, content_id))
    return {"content_id": content_id}


def _reference(kind: str, content_id: str) -> InstructionFields:
    """The instruction field that refers to the uploaded text."""
    if kind == "student_prompt":
        return InstructionFields(student_prompt_content_id=content_id)
    return InstructionFields(judge_rubric_content_id=content_id)


async def get_text(assignment_id: str, kind: str, *, repo: AdminRepository,
                   content: TextStore) -> StoredText:
    instruction = await existing_instruction(repo, require("assignment_id", assignment_id))
    content_id = getattr(instruction, f"{kind}_content_id")
    what = kind.replace("_", " ")
    if not content_id:
        raise not_found("CONTEXT_MISSING", f"assignment {assignment_id!r} has no {what}",
                        assignment_id=assignment_id, missing=kind)
    texts = await content.fetch_texts([content_id])
    if content_id not in texts:
        raise not_found("CONTEXT_MISSING", f"{what} {content_id} of assignment "
                        f"{assignment_id!r} is not in the content service",
                        assignment_id=assignment_id, missing=kind, content_id=content_id)
    return StoredText(assignment_id, content_id, texts[content_id])
