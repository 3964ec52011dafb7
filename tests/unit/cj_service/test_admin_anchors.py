"""Anchor use cases against the in-memory ports: an anchor needs its assignment's scale, a
grade on it and a long enough text; re-registering a label changes it in place; pages count
anchors per grade over the current scale; an unknown anchor is NOT_FOUND."""

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
from contracts.errors import ServiceError
from tests.unit.cj_service.admin_fakes import InMemoryAdminRepository, InMemoryTextStore

ESSAY = "The essay weighs its evidence with care. " * 6


async def refusal(call: Awaitable[Any]) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        await call
    return caught.value


async def ports(scale: str = "swedish_8_anchor"):
    repo, content = InMemoryAdminRepository(), InMemoryTextStore()
    await instructions.upsert_instruction(UpsertInstruction(
        "setup", Scope(assignment_id="a1"), "", scale, ContextOrigin.UNSPECIFIED), repo=repo)
    return repo, content


def anchor(request_id: str, label: str = "x.txt", grade: str = "C", **source: str):
    return RegisterAnchor(request_id, "a1", label, grade, **(source or {"text": ESSAY}))


async def test_an_anchor_is_stored_with_its_text_and_an_id_derived_from_its_key() -> None:
    repo, content = await ports()
    record, created = await anchors.register_anchor(anchor("r1"), repo=repo, content=content)
    assert created and content.texts[record.content_id] == ESSAY
    assert record.anchor_id == anchors.anchor_id_for("a1", "x.txt", "swedish_8_anchor")


async def test_re_registering_a_label_changes_its_grade_in_place() -> None:
    repo, content = await ports()
    first, _ = await anchors.register_anchor(anchor("r1"), repo=repo, content=content)
    second, created = await anchors.register_anchor(anchor("r2", grade="A"), repo=repo,
                                                    content=content)
    assert (created, second.anchor_id, second.grade) == (False, first.anchor_id, "A")
    assert len(repo.state.anchors) == 1


async def test_an_anchor_by_content_id_uses_the_stored_text_and_stores_nothing() -> None:
    repo, content = await ports()
    content_id = content.add(ESSAY)
    record, _ = await anchors.register_anchor(anchor("r1", content_id=content_id), repo=repo,
                                              content=content)
    assert (record.content_id, content.puts) == (content_id, 0)


@pytest.mark.parametrize("command,code,reason", [
    (anchor("r1", grade="Z"), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_GRADE"),
    (anchor("r1", text="too short"), grpc.StatusCode.INVALID_ARGUMENT, "ANCHOR_TOO_SHORT"),
    (anchor("r1", text=ESSAY, content_id="0" * 64), grpc.StatusCode.INVALID_ARGUMENT,
     "INVALID_ARGUMENT"),
    (anchor("r1", content_id="0" * 64), grpc.StatusCode.NOT_FOUND, "CONTENT_NOT_FOUND"),
    (anchor("r1", content_id="not-an-id"), grpc.StatusCode.INVALID_ARGUMENT,
     "INVALID_CONTENT_ID"),
])
async def test_a_bad_anchor_is_refused_and_nothing_is_stored(
    command: RegisterAnchor, code: grpc.StatusCode, reason: str,
) -> None:
    repo, content = await ports()
    error = await refusal(anchors.register_anchor(command, repo=repo, content=content))
    assert (error.code, error.reason) == (code, reason)
    assert (repo.state.anchors, content.puts, await repo.find_request("r1")) == ({}, 0, None)


async def test_a_refused_content_id_is_echoed_clipped() -> None:
    repo, content = await ports()
    error = await refusal(anchors.register_anchor(anchor("r1", content_id="x" * 250),
                                                  repo=repo, content=content))
    assert error.metadata["value"].startswith("x" * 80) and len(error.metadata["value"]) < 100


async def test_an_assignment_without_a_scale_takes_no_anchor() -> None:
    repo, content = await ports(scale="")
    error = await refusal(anchors.register_anchor(anchor("r1"), repo=repo, content=content))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION,
                                          "UNKNOWN_GRADE_SCALE")


async def test_an_assignment_without_an_instruction_takes_no_anchor() -> None:
    repo, content = InMemoryAdminRepository(), InMemoryTextStore()
    error = await refusal(anchors.register_anchor(anchor("r1"), repo=repo, content=content))
    assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "INSTRUCTION_NOT_FOUND")


async def test_the_minimum_length_is_the_callers() -> None:
    repo, content = await ports()
    record, _ = await anchors.register_anchor(anchor("r1", text="short but enough"), repo=repo,
                                              content=content, min_chars=10)
    assert content.texts[record.content_id] == "short but enough"


async def test_pages_walk_the_anchors_and_count_grades_low_to_high() -> None:
    repo, content = await ports()
    for n, grade in enumerate(["C", "A", "C", "F"]):
        await anchors.register_anchor(anchor(f"r{n}", f"{n}.txt", grade), repo=repo,
                                      content=content)
    first = await anchors.list_anchors("a1", repo=repo, size=3, token="")
    rest = await anchors.list_anchors("a1", repo=repo, size=3, token=first.next_page_token)
    assert [a.label for a in first.anchors + rest.anchors] == ["0.txt", "1.txt", "2.txt",
                                                               "3.txt"]
    assert rest.next_page_token == ""
    assert first.counts_by_grade == (("F", 1), ("E", 0), ("D", 0), ("D+", 0), ("C", 2),
                                     ("C+", 0), ("B", 0), ("A", 1))


async def test_an_anchor_page_token_is_bound_to_its_assignment() -> None:
    repo, content = await ports()
    for n in range(2):
        await anchors.register_anchor(anchor(f"r{n}", f"{n}.txt"), repo=repo, content=content)
    page = await anchors.list_anchors("a1", repo=repo, size=1, token="")
    error = await refusal(anchors.list_anchors("a2", repo=repo, size=1,
                                               token=page.next_page_token))
    assert error.reason == "INVALID_PAGE_TOKEN"


async def test_deleting_an_anchor_removes_it_and_an_unknown_one_is_not_found() -> None:
    repo, content = await ports()
    record, _ = await anchors.register_anchor(anchor("r1"), repo=repo, content=content)
    assert await anchors.delete_anchor(record.anchor_id, repo=repo)
    error = await refusal(anchors.delete_anchor(record.anchor_id, repo=repo))
    assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "ANCHOR_NOT_FOUND")
    assert error.metadata == {"anchor_id": record.anchor_id}
