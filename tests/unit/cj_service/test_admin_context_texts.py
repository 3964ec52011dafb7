"""Student prompt and judge rubric against the in-memory ports: stored in the content store,
referenced on the instruction, read back; a missing one is CONTEXT_MISSING, an assignment
without an instruction INSTRUCTION_NOT_FOUND."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import grpc
import pytest

from cj_service.service.admin import context_texts, instructions
from cj_service.service.admin.models import (
    ContextOrigin,
    Scope,
    UploadContextText,
    UpsertInstruction,
)
from contracts.errors import ServiceError
from tests.unit.cj_service.admin_fakes import InMemoryAdminRepository, InMemoryTextStore

KINDS = ["student_prompt", "judge_rubric"]


async def refusal(call: Awaitable[Any]) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        await call
    return caught.value


async def ports():
    repo, content = InMemoryAdminRepository(), InMemoryTextStore()
    await instructions.upsert_instruction(UpsertInstruction(
        "setup", Scope(assignment_id="a1"), "Judge.", "", ContextOrigin.UNSPECIFIED), repo=repo)
    return repo, content


def upload(kind: str, text: str = "Write well.", request_id: str = "r1") -> UploadContextText:
    return UploadContextText(request_id, "a1", text, kind)


@pytest.mark.parametrize("kind", KINDS)
async def test_an_uploaded_text_is_referenced_by_the_instruction_and_read_back(kind) -> None:
    repo, content = await ports()
    content_id = await context_texts.upload_text(upload(kind), repo=repo, content=content)
    record = await instructions.get_instruction(Scope(assignment_id="a1"), repo=repo)
    stored = await context_texts.get_text("a1", kind, repo=repo, content=content)
    assert getattr(record, f"{kind}_content_id") == content_id == stored.content_id
    assert stored.text == "Write well."


async def test_the_prompt_and_the_rubric_are_separate_references() -> None:
    repo, content = await ports()
    await context_texts.upload_text(upload("student_prompt"), repo=repo, content=content)
    error = await refusal(context_texts.get_text("a1", "judge_rubric", repo=repo,
                                                 content=content))
    assert (error.code, error.reason, error.metadata["missing"]) == (
        grpc.StatusCode.NOT_FOUND, "CONTEXT_MISSING", "judge_rubric")


async def test_a_repeated_upload_is_answered_without_storing_again() -> None:
    repo, content = await ports()
    first = await context_texts.upload_text(upload("student_prompt"), repo=repo,
                                            content=content)
    again = await context_texts.upload_text(upload("student_prompt"), repo=repo,
                                            content=content)
    assert (again, content.puts) == (first, 1)


async def test_a_text_gone_from_the_content_store_is_context_missing() -> None:
    repo, content = await ports()
    content_id = await context_texts.upload_text(upload("judge_rubric"), repo=repo,
                                                 content=content)
    content.texts.clear()
    error = await refusal(context_texts.get_text("a1", "judge_rubric", repo=repo,
                                                 content=content))
    assert (error.reason, error.metadata["content_id"]) == ("CONTEXT_MISSING", content_id)


@pytest.mark.parametrize("kind", KINDS)
async def test_an_assignment_without_an_instruction_is_not_found(kind) -> None:
    repo, content = InMemoryAdminRepository(), InMemoryTextStore()
    written = await refusal(context_texts.upload_text(upload(kind), repo=repo, content=content))
    read = await refusal(context_texts.get_text("a1", kind, repo=repo, content=content))
    assert (written.reason, read.reason, content.puts) == (
        "INSTRUCTION_NOT_FOUND", "INSTRUCTION_NOT_FOUND", 0)


@pytest.mark.parametrize("text,reason", [(" \u200b ", "CONTENT_EMPTY"),
                                         ("a\x00b", "INVALID_ARGUMENT")])
async def test_a_text_without_anything_to_read_never_reaches_the_content_store(
    text: str, reason: str,
) -> None:
    repo, content = await ports()
    error = await refusal(context_texts.upload_text(upload("student_prompt", text), repo=repo,
                                                    content=content))
    assert (error.code, error.reason, content.puts) == (grpc.StatusCode.INVALID_ARGUMENT,
                                                        reason, 0)
