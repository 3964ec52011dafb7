"""Resolve an assignment's judging context once, at submission (SubmitAssessment calls this).

Usage from the SubmitAssessment handler::

    ctx = await load_assignment_context(
        cmd.assignment_id,
        source=admin_source,              # ports.AssignmentContextSource
        fetch_texts=content.fetch_texts,  # async (ids) -> {id: text}; missing ids left out
    )
    check_rubric_override(ctx, has_override=bool(cmd.judge_rubric_override_content_id))

`source` is the admin side's read port (ports.AssignmentContextSource; in production
cj_service.adapters.admin_repository.PostgresAdminRepository); `fetch_texts` returns the
stored texts of any number of ids (cj_service.adapters.admin_content.ContentClient.
fetch_texts, in chunks within the content service's per-call limits). Every referenced text
(student prompt, judge rubric, each anchor) must resolve, or the submission fails with
FAILED_PRECONDITION CONTEXT_MISSING naming what is missing: the seed silently judged without
a prompt when a reference was dangling. Not uploaded is not
missing: an assignment without a prompt gets `student_prompt_text=None`.

Only anchors registered on the assignment's current grade scale are returned, so anchors left
over from an earlier instruction with another scale never mix grades of two scales.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from cj_service.service.admin.models import (
    AnchorRecord,
    ContextOrigin,
    InstructionRecord,
    Scope,
)
from cj_service.service.admin.ports import AssignmentContextSource
from contracts.errors import ServiceError, failed_precondition

FetchTexts = Callable[[Sequence[str]], Awaitable[Mapping[str, str]]]


@dataclass(frozen=True)
class ContextAnchor:
    anchor_id: str
    label: str
    grade: str
    content_id: str
    text: str


@dataclass(frozen=True)
class AssignmentContext:
    assignment_id: str
    instructions_text: str
    student_prompt_text: str | None
    judge_rubric_text: str | None
    student_prompt_content_id: str
    judge_rubric_content_id: str
    grade_scale_id: str
    context_origin: ContextOrigin
    anchors: tuple[ContextAnchor, ...]

    @property
    def rubric_locked(self) -> bool:
        return self.context_origin is ContextOrigin.CANONICAL_NATIONAL


async def load_assignment_context(
    assignment_id: str, *, source: AssignmentContextSource, fetch_texts: FetchTexts
) -> AssignmentContext:
    """The assignment's instructions, prompt, rubric and anchors, every text resolved."""
    instruction = await source.get_instruction(Scope(assignment_id=assignment_id))
    if instruction is None:
        raise _missing(f"assignment {assignment_id!r} has no assessment instruction",
                       assignment_id=assignment_id, missing="instruction")
    anchors: Sequence[AnchorRecord] = ()
    if instruction.grade_scale_id:
        anchors = await source.anchors_on_scale(assignment_id, instruction.grade_scale_id)
    texts = await fetch_texts(_referenced_ids(instruction, anchors))
    return AssignmentContext(
        assignment_id=assignment_id,
        instructions_text=instruction.instructions_text,
        student_prompt_text=_text_of(texts, instruction.student_prompt_content_id,
                                     what="student prompt", assignment_id=assignment_id),
        judge_rubric_text=_text_of(texts, instruction.judge_rubric_content_id,
                                   what="judge rubric", assignment_id=assignment_id),
        student_prompt_content_id=instruction.student_prompt_content_id,
        judge_rubric_content_id=instruction.judge_rubric_content_id,
        grade_scale_id=instruction.grade_scale_id,
        context_origin=instruction.context_origin,
        anchors=tuple(_resolve_anchor(a, texts) for a in anchors),
    )


def check_rubric_override(ctx: AssignmentContext, has_override: bool) -> None:
    """A canonical national assignment's rubric is fixed; refuse a submission overriding it."""
    if has_override and ctx.rubric_locked:
        raise failed_precondition(
            "RUBRIC_LOCKED",
            f"assignment {ctx.assignment_id!r} is canonical_national; "
            "its judge rubric cannot be overridden",
            assignment_id=ctx.assignment_id,
        )


def _referenced_ids(instruction: InstructionRecord, anchors: Sequence[AnchorRecord]) -> list[str]:
    ids = [instruction.student_prompt_content_id, instruction.judge_rubric_content_id]
    ids.extend(a.content_id for a in anchors)
    return list(dict.fromkeys(i for i in ids if i))


def _text_of(texts: Mapping[str, str], content_id: str, *, what: str,
             assignment_id: str) -> str | None:
    if not content_id:
        return None
    if content_id not in texts:
        raise _missing(f"{what} {content_id} of assignment {assignment_id!r} is not in the "
                       "content service", assignment_id=assignment_id,
                       missing=what.replace(" ", "_"), content_id=content_id)
    return texts[content_id]


def _resolve_anchor(anchor: AnchorRecord, texts: Mapping[str, str]) -> ContextAnchor:
    if anchor.content_id not in texts:
        raise _missing(f"anchor {anchor.label!r} ({anchor.content_id}) of assignment "
                       f"{anchor.assignment_id!r} is not in the content service",
                       assignment_id=anchor.assignment_id, missing="anchor",
                       anchor_label=anchor.label, content_id=anchor.content_id)
    return ContextAnchor(anchor_id=anchor.anchor_id, label=anchor.label, grade=anchor.grade,
                         content_id=anchor.content_id, text=texts[anchor.content_id])


def _missing(message: str, **metadata: str) -> ServiceError:
    return failed_precondition("CONTEXT_MISSING", message, **metadata)
