"""What a valid request can point at: stored texts, a finished batch, a batch to cancel, an
assignment with its prompt, rubric and anchors, and real page tokens, made once per mesh with
ordinary calls (so mutated requests get past "not found" to the code behind it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf.message import Message

from contracts.huleedu.cj.v1 import cj_admin_pb2, cj_pb2
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.content.v1 import content_pb2
from tests.property.calls import by_key, invoke, must
from tests.property.mesh import FuzzMesh
from tests.property.messages import FRESH, with_fresh_ids

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
ESSAYS = tuple(p.read_text(encoding="utf-8") for p in sorted((SAMPLES / "essays").glob("*.txt")))
JUDGE = common_pb2.JudgeConfig(provider="simulated", model="simulated-judge")
SCALE, GRADES = "swedish_8_anchor", ("C", "B")
Metadata = tuple[tuple[str, str], ...]
ENDED = (cj_pb2.ASSESSMENT_STATE_COMPLETED, cj_pb2.ASSESSMENT_STATE_FAILED,
         cj_pb2.ASSESSMENT_STATE_CANCELLED)


@dataclass(frozen=True)
class World:
    admin: Metadata  # gRPC metadata with a valid admin bearer token
    forged_admin: tuple[Metadata, ...]  # expired, unsigned, wrongly signed, not an admin
    content_ids: tuple[str, ...]
    batch_id: str  # a finished batch: reads, results, comparison pages
    assignment_id: str  # instruction, prompt, rubric and anchors
    spare_assignment_id: str  # DeleteAssessmentInstruction cases may delete it
    anchor_id: str
    spare_anchor_id: str  # DeleteAnchor cases may delete it
    tokens: dict[str, str]  # a real next_page_token per list RPC (by Method.key)


def submit_request(texts: tuple[str, ...], *, budget: int, seed: int = 1,
                   ) -> cj_pb2.SubmitAssessmentRequest:
    return cj_pb2.SubmitAssessmentRequest(
        request_id=FRESH, correlation_id=FRESH, judge=JUDGE, seed=seed,
        essays=[cj_pb2.EssayInput(essay_id=f"e{i}", text=t, display_name=f"essay_{i}.txt")
                for i, t in enumerate(texts)],
        instructions_text="Rank the essays by overall quality.",
        stopping=cj_pb2.StoppingOptions(budget=budget), metadata={"suite": "property"})


def wait_ended(mesh: FuzzMesh, batch_id: str, *, timeout_s: float) -> cj_pb2.Assessment:
    method, deadline = by_key("CJAssessmentService/GetAssessment"), time.monotonic() + timeout_s
    while True:
        found = invoke(mesh, method, cj_pb2.GetAssessmentRequest(assessment_id=batch_id))
        if found.ok and found.response.assessment.state in ENDED:
            return found.response.assessment
        if time.monotonic() > deadline:
            raise TimeoutError(f"batch {batch_id} still {found.code} {found.response}")
        time.sleep(0.25)


def start_victim(mesh: FuzzMesh) -> str:
    """A batch that runs for a while (ten essays, 60 comparisons): something to cancel."""
    return _submit(mesh, submit_request(ESSAYS[4:14], budget=60))


def running(mesh: FuzzMesh, batch_id: str) -> bool:
    found = invoke(mesh, by_key("CJAssessmentService/GetAssessment"),
                   cj_pb2.GetAssessmentRequest(assessment_id=batch_id))
    return found.ok and found.response.assessment.state not in ENDED


def _submit(mesh: FuzzMesh, request: cj_pb2.SubmitAssessmentRequest) -> str:
    reply = must(mesh, by_key("CJAssessmentService/SubmitAssessment"), with_fresh_ids(request))
    return reply.assessment.assessment_id


def _admin(mesh: FuzzMesh, admin: Metadata, name: str, request: Message) -> Any:
    return must(mesh, by_key(f"CJAdminService/{name}"), with_fresh_ids(request), admin)


def _assignment(mesh: FuzzMesh, admin: Metadata, assignment_id: str) -> None:
    _admin(mesh, admin, "UpsertAssessmentInstruction",
           cj_admin_pb2.UpsertAssessmentInstructionRequest(
               request_id=FRESH, scope=cj_admin_pb2.InstructionScope(assignment_id=assignment_id),
               instructions_text="Judge the argument and its support.", grade_scale_id=SCALE,
               context_origin=cj_admin_pb2.CONTEXT_ORIGIN_TEACHER_CUSTOM))


def _anchor(mesh: FuzzMesh, admin: Metadata, assignment_id: str, i: int) -> str:
    reply = _admin(mesh, admin, "RegisterAnchor", cj_admin_pb2.RegisterAnchorRequest(
        request_id=FRESH, assignment_id=assignment_id, label=f"anchor-{i}", grade=GRADES[i],
        text=ESSAYS[10 + i]))
    return reply.anchor.anchor_id


def _bearer(token: str) -> Metadata:
    return (("authorization", f"Bearer {token}"),)


def _forged(mesh: FuzzMesh) -> tuple[Metadata, ...]:
    return tuple(_bearer(token) for token in (
        mesh.admin_token(ttl_seconds=-3600), mesh.admin_token(roles=()),
        mesh.admin_token(signing_key="not-the-secret-but-just-as-long-as-it"),
        mesh.admin_token(signing_key=None, algorithm="none")))


def _tokens(mesh: FuzzMesh, world: World) -> dict[str, str]:
    requests = {
        "CJAssessmentService/ListAssessments": cj_pb2.ListAssessmentsRequest(page_size=1),
        "CJAssessmentService/ListAssessmentComparisons": cj_pb2.ListAssessmentComparisonsRequest(
            assessment_id=world.batch_id, page_size=1),
        "CJAdminService/ListAssessmentInstructions":
            cj_admin_pb2.ListAssessmentInstructionsRequest(page_size=1),
        "CJAdminService/ListAnchors": cj_admin_pb2.ListAnchorsRequest(
            assignment_id=world.assignment_id, page_size=1),
    }
    return {key: must(mesh, by_key(key), request, world.admin).next_page_token
            for key, request in requests.items()}


def build_world(mesh: FuzzMesh, tag: str) -> World:
    put = by_key("ContentService/PutContent")
    content_ids = tuple(
        must(mesh, put, content_pb2.PutContentRequest(request_id=f"{tag}-{i}",
                                                      content=text.encode())).metadata.content_id
        for i, text in enumerate(ESSAYS[:6]))
    batch_id = _submit(mesh, submit_request(ESSAYS[:4], budget=8))
    admin = _bearer(mesh.admin_token())
    assignment, spare = f"{tag}-assignment", f"{tag}-spare"
    _assignment(mesh, admin, assignment)
    _assignment(mesh, admin, spare)
    for name, text in (("UploadStudentPrompt", "prompt.txt"), ("UploadJudgeRubric", "rubric.txt")):
        request_type = getattr(cj_admin_pb2, f"{name}Request")
        _admin(mesh, admin, name, request_type(request_id=FRESH, assignment_id=assignment,
                                               text=(SAMPLES / text).read_text()))
    anchors = (_anchor(mesh, admin, assignment, 0), _anchor(mesh, admin, assignment, 1))
    wait_ended(mesh, batch_id, timeout_s=180)
    world = World(admin, _forged(mesh), content_ids, batch_id, assignment, spare,
                  *anchors, {})
    world.tokens.update(_tokens(mesh, world))
    return world
