"""Instruction use cases against the in-memory repository: upsert keeps what an empty field
does not name, the scale and origin never change once set, a request_id answers once, and
unknown scopes are NOT_FOUND."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import grpc
import pytest

from cj_service.service.admin import anchors, instructions
from cj_service.service.admin.models import (
    ContextOrigin,
    RegisterAnchor,
    Scope,
    UpsertInstruction,
)
from cj_service.service.admin.ports import StoredRequest
from contracts.errors import ServiceError
from tests.unit.cj_service.admin_fakes import InMemoryAdminRepository, InMemoryTextStore

A1 = Scope(assignment_id="a1")
SWEDISH, NATIONAL = "swedish_8_anchor", "eng5_np_national_9_step"


async def refusal(call: Awaitable[Any]) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        await call
    return caught.value


def upsert(request_id: str, scope: Scope = A1, *, text: str = "", scale: str = "",
           origin: ContextOrigin = ContextOrigin.UNSPECIFIED) -> UpsertInstruction:
    return UpsertInstruction(request_id, scope, text, scale, origin)


async def test_an_upsert_creates_then_changes_only_the_fields_it_names() -> None:
    repo = InMemoryAdminRepository()
    first, created = await instructions.upsert_instruction(
        upsert("r1", scale=SWEDISH, origin=ContextOrigin.TEACHER_CUSTOM), repo=repo)
    second, again = await instructions.upsert_instruction(upsert("r2", text="Judge."),
                                                          repo=repo)
    assert (created, again) == (True, False)
    assert (second.instructions_text, second.grade_scale_id, second.context_origin) == (
        "Judge.", SWEDISH, ContextOrigin.TEACHER_CUSTOM)
    assert second.created_at == first.created_at < second.updated_at


async def test_a_repeated_request_id_gets_the_first_answer_without_a_second_write() -> None:
    repo = InMemoryAdminRepository()
    first = await instructions.upsert_instruction(upsert("r1", text="Judge."), repo=repo)
    again = await instructions.upsert_instruction(upsert("r1", text="Judge."), repo=repo)
    assert again == first and repo.writes == 1


async def test_a_request_id_reused_for_another_body_is_already_exists() -> None:
    repo = InMemoryAdminRepository()
    await instructions.upsert_instruction(upsert("r1", text="Judge."), repo=repo)
    error = await refusal(instructions.upsert_instruction(upsert("r1", text="Other."),
                                                          repo=repo))
    assert (error.code, error.reason) == (grpc.StatusCode.ALREADY_EXISTS, "REQUEST_ID_CONFLICT")
    assert error.metadata["method"] == "UpsertAssessmentInstruction"


async def test_a_conflicting_request_id_is_echoed_clipped() -> None:
    repo, long_id = InMemoryAdminRepository(), "r" * 250
    await instructions.upsert_instruction(upsert(long_id, text="Judge."), repo=repo)
    error = await refusal(instructions.upsert_instruction(upsert(long_id), repo=repo))
    assert error.metadata["request_id"].startswith("r" * 80)
    assert len(error.metadata["request_id"]) < 100 and long_id not in error.message


async def test_a_request_committed_by_a_racing_call_is_answered_with_its_result() -> None:
    class Racing(InMemoryAdminRepository):
        """The first lookup misses; the other call commits before ours does."""

        seen = False

        async def find_request(self, request_id: str) -> StoredRequest | None:
            if not self.seen:
                self.seen = True
                return None
            return await super().find_request(request_id)

    repo = Racing()
    winner = await instructions.upsert_instruction(upsert("r1", text="Judge."), repo=repo)
    repo.seen = False
    assert await instructions.upsert_instruction(upsert("r1", text="Judge."),
                                                 repo=repo) == winner
    assert repo.writes == 1  # the loser's write rolled back with its transaction
    assert await instructions.get_instruction(A1, repo=repo) == winner[0]


@pytest.mark.parametrize("field,first,then", [
    ("grade_scale_id", upsert("r1", scale=SWEDISH), upsert("r2", scale=NATIONAL)),
    ("context_origin", upsert("r1", origin=ContextOrigin.CANONICAL_NATIONAL),
     upsert("r2", origin=ContextOrigin.TEACHER_CUSTOM)),
])
async def test_scale_and_origin_are_immutable_once_set(field: str, first: UpsertInstruction,
                                                       then: UpsertInstruction) -> None:
    repo = InMemoryAdminRepository()
    await instructions.upsert_instruction(first, repo=repo)
    error = await refusal(instructions.upsert_instruction(then, repo=repo))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "IMMUTABLE_FIELD")
    assert error.metadata["field"] == field


async def test_a_refused_upsert_writes_nothing_and_its_fixed_retry_is_judged_afresh() -> None:
    repo = InMemoryAdminRepository()
    await instructions.upsert_instruction(upsert("r1", scale=SWEDISH), repo=repo)
    await refusal(instructions.upsert_instruction(upsert("r2", text="x", scale=NATIONAL),
                                                  repo=repo))
    assert (await instructions.get_instruction(A1, repo=repo)).instructions_text == ""
    record, _ = await instructions.upsert_instruction(upsert("r2", text="x"), repo=repo)
    assert (record.instructions_text, record.grade_scale_id) == ("x", SWEDISH)


async def test_the_scale_stays_the_anchors_while_they_exist_even_after_a_delete() -> None:
    repo, content = InMemoryAdminRepository(), InMemoryTextStore()
    await instructions.upsert_instruction(upsert("r1", scale=SWEDISH), repo=repo)
    anchor, _ = await anchors.register_anchor(
        RegisterAnchor("r2", "a1", "x.txt", "C", text="essay " * 40), repo=repo, content=content)
    await instructions.delete_instruction(A1, repo=repo)
    error = await refusal(instructions.upsert_instruction(upsert("r3", scale=NATIONAL),
                                                          repo=repo))
    assert (error.reason, error.metadata["current"]) == ("IMMUTABLE_FIELD", SWEDISH)
    await anchors.delete_anchor(anchor.anchor_id, repo=repo)
    record, created = await instructions.upsert_instruction(upsert("r4", scale=NATIONAL),
                                                            repo=repo)
    assert created and record.grade_scale_id == NATIONAL


@pytest.mark.parametrize("call", [instructions.get_instruction, instructions.delete_instruction])
async def test_an_unknown_scope_is_not_found(call: Any) -> None:
    error = await refusal(call(Scope(course_id="nobody"), repo=InMemoryAdminRepository()))
    assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "INSTRUCTION_NOT_FOUND")
    assert error.metadata == {"scope": "course:nobody"}


@pytest.mark.parametrize("scope", [Scope(), Scope(assignment_id="a", course_id="c")])
async def test_a_scope_naming_not_exactly_one_id_never_reaches_the_repository(
    scope: Scope,
) -> None:
    repo = InMemoryAdminRepository()
    error = await refusal(instructions.upsert_instruction(upsert("r1", scope, text="x"),
                                                          repo=repo))
    assert (error.code, error.metadata) == (grpc.StatusCode.INVALID_ARGUMENT, {"field": "scope"})
    assert repo.writes == 0


async def test_pages_follow_the_scope_order_and_count_what_matches_the_filter() -> None:
    repo = InMemoryAdminRepository()
    for n, scale in enumerate([SWEDISH, NATIONAL, SWEDISH, SWEDISH, ""]):
        await instructions.upsert_instruction(upsert(f"r{n}", Scope(course_id=f"c{n}"),
                                                     text="x", scale=scale), repo=repo)
    first = await instructions.list_instructions(repo=repo, size=2, token="",
                                                 grade_scale_id=SWEDISH)
    second = await instructions.list_instructions(repo=repo, size=2, grade_scale_id=SWEDISH,
                                                  token=first.next_page_token)
    assert [r.scope.course_id for r in first.items + second.items] == ["c0", "c2", "c3"]
    assert (first.total_count, second.next_page_token) == (3, "")


async def test_a_page_token_made_for_another_filter_is_invalid_page_token() -> None:
    repo = InMemoryAdminRepository()
    for n in range(2):
        await instructions.upsert_instruction(upsert(f"r{n}", Scope(course_id=f"c{n}"),
                                                     text="x"), repo=repo)
    page = await instructions.list_instructions(repo=repo, size=1, token="", grade_scale_id="")
    error = await refusal(instructions.list_instructions(
        repo=repo, size=1, token=page.next_page_token, grade_scale_id=SWEDISH))
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN")
