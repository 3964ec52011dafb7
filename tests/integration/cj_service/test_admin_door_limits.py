"""CJAdminService at the door: every text and id bounded and checked, refusals name the field
and the limit and write nothing; forged page tokens are INVALID_PAGE_TOKEN (issue 20: D4,
D5, D6)."""

from __future__ import annotations

import base64
import json
from typing import Any

import grpc
import pytest

from contracts.errors import error_info, reason_of
from contracts.huleedu.cj.v1 import cj_admin_pb2 as pb
from tests.fixtures import unique_name
from tests.integration.cj_service.admin_anchor_helpers import assignment_on, register
from tests.integration.cj_service.admin_fixtures import *  # noqa: F403
from tests.integration.cj_service.admin_fixtures import AdminMesh, essay_text

pytestmark = pytest.mark.integration
MB = 1024 * 1024
NUL = "x\x00y"


async def refused(mesh: AdminMesh, method: str, request: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await mesh.call(method, request)
    assert len(caught.value.details()) < 400, "values are clipped, never echoed whole"
    return caught.value


def status(err: grpc.aio.AioRpcError) -> tuple[str, str, str]:
    info = error_info(err)
    return err.code().name, reason_of(err), info.metadata.get("field", "") if info else ""


def scope(assignment_id: str | None = None) -> pb.InstructionScope:
    return pb.InstructionScope(assignment_id=assignment_id or unique_name("assignment"))


def upsert(**fields: Any) -> pb.UpsertAssessmentInstructionRequest:
    fields.setdefault("request_id", unique_name("r"))
    fields.setdefault("scope", scope())
    return pb.UpsertAssessmentInstructionRequest(**fields)


async def test_10_mb_of_instructions_are_refused_and_nothing_is_stored(admin_mesh):
    request = upsert(instructions_text="Judge the argument. " * (MB // 2))
    err = await refused(admin_mesh, "UpsertAssessmentInstruction", request)
    assert status(err) == ("RESOURCE_EXHAUSTED", "CONTENT_TOO_LARGE", "instructions_text")
    assert error_info(err).metadata["limit"] == "65536"
    missing = await refused(admin_mesh, "GetAssessmentInstruction",
                            pb.GetAssessmentInstructionRequest(scope=request.scope))
    assert reason_of(missing) == "INSTRUCTION_NOT_FOUND"


async def test_instructions_of_exactly_64_kib_are_accepted(admin_mesh):
    response = await admin_mesh.call("UpsertAssessmentInstruction",
                                     upsert(instructions_text="i" * 65_536))
    assert len(response.instruction.instructions_text) == 65_536


UPSERT_NULS = {
    "request id": ({"request_id": NUL}, "request_id"),
    "assignment id": ({"scope": pb.InstructionScope(assignment_id=NUL)}, "scope.assignment_id"),
    "course id": ({"scope": pb.InstructionScope(course_id=NUL)}, "scope.course_id"),
    "instructions": ({"instructions_text": NUL}, "instructions_text"),
    "grade scale": ({"grade_scale_id": NUL}, "grade_scale_id"),
}


@pytest.mark.parametrize("case", UPSERT_NULS)
async def test_a_nul_in_an_upsert_field_is_invalid_argument(admin_mesh, case):
    fields, field = UPSERT_NULS[case]
    err = await refused(admin_mesh, "UpsertAssessmentInstruction", upsert(**fields))
    assert status(err) == ("INVALID_ARGUMENT", "INVALID_ARGUMENT", field)


async def test_instructions_of_only_invisible_characters_are_invalid_argument(admin_mesh):
    err = await refused(admin_mesh, "UpsertAssessmentInstruction",
                        upsert(instructions_text="\u200b\u200b \u2060"))
    assert status(err) == ("INVALID_ARGUMENT", "INVALID_ARGUMENT", "instructions_text")


READS = {  # method: (request with `value` as its id, the field named)
    "GetAssessmentInstruction": (lambda v: pb.GetAssessmentInstructionRequest(
        scope=pb.InstructionScope(course_id=v)), "scope.course_id"),
    "DeleteAssessmentInstruction": (lambda v: pb.DeleteAssessmentInstructionRequest(
        scope=pb.InstructionScope(assignment_id=v)), "scope.assignment_id"),
    "ListAssessmentInstructions": (
        lambda v: pb.ListAssessmentInstructionsRequest(grade_scale_id=v), "grade_scale_id"),
    "GetStudentPrompt": (lambda v: pb.GetStudentPromptRequest(assignment_id=v), "assignment_id"),
    "GetJudgeRubric": (lambda v: pb.GetJudgeRubricRequest(assignment_id=v), "assignment_id"),
    "ListAnchors": (lambda v: pb.ListAnchorsRequest(assignment_id=v), "assignment_id"),
    "DeleteAnchor": (lambda v: pb.DeleteAnchorRequest(anchor_id=v), "anchor_id"),
}


@pytest.mark.parametrize("method", READS)
async def test_a_nul_in_an_id_of_any_admin_rpc_is_invalid_argument(admin_mesh, method):
    request, field = READS[method]
    err = await refused(admin_mesh, method, request(NUL))
    assert status(err) == ("INVALID_ARGUMENT", "INVALID_ARGUMENT", field)


@pytest.mark.parametrize("method", READS)
async def test_a_1_mb_id_of_any_admin_rpc_is_resource_exhausted_and_not_echoed(
    admin_mesh, method,
):
    request, field = READS[method]
    err = await refused(admin_mesh, method, request("i" * MB))
    assert status(err) == ("RESOURCE_EXHAUSTED", "CONTENT_TOO_LARGE", field)


@pytest.mark.parametrize("method", ["UploadStudentPrompt", "UploadJudgeRubric"])
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Prompt " * 20_000, ("RESOURCE_EXHAUSTED", "CONTENT_TOO_LARGE", "text")),
        ("Prompt\x00", ("INVALID_ARGUMENT", "INVALID_ARGUMENT", "text")),
        ("\u200b\u200b\u200b", ("INVALID_ARGUMENT", "CONTENT_EMPTY", "text")),
    ],
)
async def test_prompt_and_rubric_texts_keep_the_text_rules(admin_mesh, method, text, expected):
    assignment_id = await assignment_on(admin_mesh)
    request = getattr(pb, f"{method}Request")(request_id=unique_name("r"),
                                              assignment_id=assignment_id, text=text)
    err = await refused(admin_mesh, method, request)
    assert status(err) == expected


ANCHORS = {
    "label": ({"label": NUL}, ("INVALID_ARGUMENT", "INVALID_ARGUMENT", "label")),
    "grade": ({"grade": NUL}, ("INVALID_ARGUMENT", "INVALID_ARGUMENT", "grade")),
    "text": ({"text": essay_text() + "\x00"}, ("INVALID_ARGUMENT", "INVALID_ARGUMENT", "text")),
    "huge text": ({"text": "w " * MB}, ("RESOURCE_EXHAUSTED", "CONTENT_TOO_LARGE", "text")),
    "invisible text": ({"text": "\u200b" * 500},
                       ("INVALID_ARGUMENT", "CONTENT_EMPTY", "text")),
    "content id": ({"content_id": NUL},
                   ("INVALID_ARGUMENT", "INVALID_CONTENT_ID", "content_id")),
}


@pytest.mark.parametrize("case", ANCHORS)
async def test_a_bad_anchor_field_is_refused_and_no_anchor_is_stored(admin_mesh, case):
    fields, expected = ANCHORS[case]
    assignment_id = await assignment_on(admin_mesh)
    fields = {"label": "a1", "grade": "C", **fields}
    if "content_id" not in fields:
        fields.setdefault("text", essay_text())
    err = await refused(admin_mesh, "RegisterAnchor", pb.RegisterAnchorRequest(
        request_id=unique_name("r"), assignment_id=assignment_id, **fields))
    assert status(err) == expected
    listed = await admin_mesh.call("ListAnchors", pb.ListAnchorsRequest(
        assignment_id=assignment_id))
    assert list(listed.anchors) == []


async def test_an_anchor_by_content_id_too_large_for_an_essay_is_refused(admin_mesh):
    assignment_id = await assignment_on(admin_mesh)
    content_id = await admin_mesh.content.put_text("word " * 60_000, request_id=unique_name())
    err = await refused(admin_mesh, "RegisterAnchor", pb.RegisterAnchorRequest(
        request_id=unique_name("r"), assignment_id=assignment_id, label="big", grade="C",
        content_id=content_id))
    assert status(err) == ("RESOURCE_EXHAUSTED", "CONTENT_TOO_LARGE", "content_id")


def forged(payload: object) -> str:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


TOKENS = {
    "nul in the position": lambda f: forged({"p": "assignment:\x00", "f": f}),
    "nul in an anchor key": lambda f: forged({"p": ["a\x00", "s", "i"], "f": f}),
    "true": lambda f: forged({"p": True, "f": f}),
    "a number": lambda f: forged({"p": 2**70, "f": f}),
    "a list body": lambda f: forged(["p", "f"]),
    "deep nesting": lambda f: forged(b"[" * 3000),
    "not utf-8": lambda f: forged(b"\xff\xfe"),
    "huge": lambda f: "A" * 100_000,
    "garbage": lambda f: "%%%$$$",
}


@pytest.mark.parametrize("case", TOKENS)
async def test_a_forged_instructions_page_token_is_invalid_page_token(admin_mesh, case):
    request = pb.ListAssessmentInstructionsRequest(page_token=TOKENS[case](""))
    err = await refused(admin_mesh, "ListAssessmentInstructions", request)
    assert status(err)[:2] == ("INVALID_ARGUMENT", "INVALID_PAGE_TOKEN")


@pytest.mark.parametrize("case", TOKENS)
async def test_a_forged_anchors_page_token_is_invalid_page_token(admin_mesh, case):
    assignment_id = await assignment_on(admin_mesh)
    request = pb.ListAnchorsRequest(assignment_id=assignment_id,
                                    page_token=TOKENS[case](assignment_id))
    err = await refused(admin_mesh, "ListAnchors", request)
    assert status(err)[:2] == ("INVALID_ARGUMENT", "INVALID_PAGE_TOKEN")


async def test_an_anchor_text_of_exactly_the_essay_limit_is_accepted(admin_mesh):
    assignment_id = await assignment_on(admin_mesh)
    response = await register(admin_mesh, assignment_id, "full", "C", text="a" * 262_144)
    assert response.created
