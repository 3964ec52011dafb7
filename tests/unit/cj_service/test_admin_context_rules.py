"""load_assignment_context with an in-memory source: every reference resolves or the
submission fails naming what is missing; check_rubric_override guards canonical rubrics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import grpc
import pytest

from cj_service.service.admin.assignment_context import (
    check_rubric_override,
    load_assignment_context,
)
from cj_service.service.admin.models import AnchorRecord, ContextOrigin, InstructionRecord, Scope
from cj_service.service.admin.ports import AssignmentContextSource
from contracts.errors import ServiceError

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class InMemorySource(AssignmentContextSource):
    def __init__(
        self, instruction: InstructionRecord | None, anchors: Sequence[AnchorRecord] = ()
    ) -> None:
        self.instruction, self.anchors = instruction, list(anchors)
        self.scales_asked: list[str] = []

    async def get_instruction(self, scope: Scope) -> InstructionRecord | None:
        return self.instruction if self.instruction and self.instruction.scope == scope else None

    async def anchors_on_scale(self, assignment_id: str, grade_scale_id: str):
        self.scales_asked.append(grade_scale_id)
        return [a for a in self.anchors if a.grade_scale_id == grade_scale_id]


def instruction(**fields) -> InstructionRecord:
    values = dict(
        scope=Scope(assignment_id="a1"),
        instructions_text="Judge.",
        grade_scale_id="swedish_8_anchor",
        context_origin=ContextOrigin.TEACHER_CUSTOM,
        student_prompt_content_id="",
        judge_rubric_content_id="",
        created_at=NOW,
        updated_at=NOW,
    )
    values.update(fields)
    return InstructionRecord(**values)


def anchor(label: str, grade: str, content_id: str, scale: str = "swedish_8_anchor"):
    return AnchorRecord(
        anchor_id=f"id-{label}",
        assignment_id="a1",
        label=label,
        grade=grade,
        grade_scale_id=scale,
        content_id=content_id,
        created_at=NOW,
        updated_at=NOW,
    )


def texts_of(store: Mapping[str, str]):
    asked: list[list[str]] = []

    async def fetch(ids: Sequence[str]) -> Mapping[str, str]:
        asked.append(list(ids))
        return {i: store[i] for i in ids if i in store}

    return fetch, asked


async def missing(source, fetch) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        await load_assignment_context("a1", source=source, fetch_texts=fetch)
    assert (caught.value.code, caught.value.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "CONTEXT_MISSING",
    )
    return caught.value


async def test_all_texts_are_fetched_in_one_round_trip_and_attached() -> None:
    source = InMemorySource(
        instruction(student_prompt_content_id="p", judge_rubric_content_id="r"),
        [anchor("x", "C", "t1"), anchor("y", "A", "t2"), anchor("z", "A", "t1")],
    )
    fetch, asked = texts_of({"p": "prompt", "r": "rubric", "t1": "essay one", "t2": "two"})
    ctx = await load_assignment_context("a1", source=source, fetch_texts=fetch)
    assert asked == [["p", "r", "t1", "t2"]]
    assert (ctx.student_prompt_text, ctx.judge_rubric_text) == ("prompt", "rubric")
    assert [(a.label, a.grade, a.text) for a in ctx.anchors] == [
        ("x", "C", "essay one"),
        ("y", "A", "two"),
        ("z", "A", "essay one"),
    ]


async def test_an_assignment_without_scale_has_no_anchors() -> None:
    source = InMemorySource(instruction(grade_scale_id=""), [anchor("x", "C", "t1")])
    fetch, _ = texts_of({"t1": "essay"})
    ctx = await load_assignment_context("a1", source=source, fetch_texts=fetch)
    assert ctx.anchors == () and source.scales_asked == []


async def test_an_unknown_assignment_names_the_missing_instruction() -> None:
    fetch, _ = texts_of({})
    error = await missing(InMemorySource(None), fetch)
    assert error.metadata == {"assignment_id": "a1", "missing": "instruction"}


async def test_an_anchor_whose_text_is_gone_is_named() -> None:
    source = InMemorySource(instruction(), [anchor("lost.txt", "C", "gone")])
    fetch, _ = texts_of({})
    error = await missing(source, fetch)
    assert (error.metadata["missing"], error.metadata["anchor_label"]) == ("anchor", "lost.txt")


async def test_a_dangling_rubric_is_named() -> None:
    fetch, _ = texts_of({})
    error = await missing(InMemorySource(instruction(judge_rubric_content_id="r")), fetch)
    assert (error.metadata["missing"], error.metadata["content_id"]) == ("judge_rubric", "r")


@pytest.mark.parametrize(
    "origin,override,locked",
    [
        (ContextOrigin.CANONICAL_NATIONAL, True, True),
        (ContextOrigin.CANONICAL_NATIONAL, False, False),
        (ContextOrigin.RESEARCH_EXPERIMENT, True, False),
        (ContextOrigin.UNSPECIFIED, True, False),
    ],
)
async def test_only_a_canonical_national_assignment_locks_its_rubric(
    origin: ContextOrigin,
    override: bool,
    locked: bool,
) -> None:
    fetch, _ = texts_of({})
    ctx = await load_assignment_context(
        "a1", source=InMemorySource(instruction(context_origin=origin)), fetch_texts=fetch
    )
    if not locked:
        check_rubric_override(ctx, has_override=override)
        return
    with pytest.raises(ServiceError) as caught:
        check_rubric_override(ctx, has_override=override)
    assert (caught.value.code, caught.value.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "RUBRIC_LOCKED",
    )
