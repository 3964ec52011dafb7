"""A request strategy for every RPC: a valid template per RPC (``TEMPLATES``, keyed by
``calls.Method.key``), mutated one to three fields at a time, or a wholly random message, sent
with a valid admin token or a forged one (admin RPCs), and sometimes sent twice: the same
request again, or another body under the same request_id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf import duration_pb2
from google.protobuf.message import Message
from hypothesis import strategies as st

from contracts import channels
from contracts.huleedu.cj.v1 import cj_admin_pb2, cj_pb2
from contracts.huleedu.content.v1 import content_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from tests.property import values
from tests.property.calls import Method
from tests.property.messages import FRESH, Overrides, mutated, random_message
from tests.property.world import ESSAYS, GRADES, JUDGE, SAMPLES, SCALE, World, submit_request

SAME = "same"  # RpcCase.repeat: send the identical request a second time
VICTIM = "\ue000victim"  # replaced when sent by the id of a running batch (world.start_victim)


@dataclass(frozen=True)
class RpcCase:
    request: Message
    metadata: tuple[tuple[str, str], ...] = ()
    repeat: Message | str | None = None  # SAME, or another body sent under the same request_id


Template = Callable[[World], tuple[Message, Overrides]]
_HEX = st.text("0123456789abcdef", min_size=64, max_size=64)  # well formed, never stored
CONTENT_ID = values.weighted((3, values.hostile_text()), (1, _HEX))
RESULTS_KEY = st.one_of(values.hostile_text(), st.sampled_from(["cj", "fuzz", "a.b", "*", ">"]))
COMMON: Overrides = {"content_id": CONTENT_ID, "content_ids": CONTENT_ID,
                     "student_prompt_content_id": CONTENT_ID,
                     "judge_rubric_override_content_id": CONTENT_ID,
                     "results_subject_key": RESULTS_KEY}


def comparison_request() -> llm_pb2.ComparisonRequest:
    return llm_pb2.ComparisonRequest(
        request_id=FRESH, results_subject_key="fuzz", metadata={"suite": "property"},
        prompt=llm_pb2.PromptParts(
            system_prompt="You compare two student essays.", essay_a_text=ESSAYS[0],
            essay_b_text=ESSAYS[1], context_blocks=[llm_pb2.ContextBlock(
                label="instructions", text="Rank by overall quality.", cacheable=True)]),
        judge=JUDGE, ttl=duration_pb2.Duration(seconds=600), correlation_id=FRESH,
        group_id=FRESH)


def _tokens(shape: Mapping[str, st.SearchStrategy[Any]]) -> Overrides:
    return {"page_token": values.page_tokens(shape)}


def _scope(assignment_id: str) -> cj_admin_pb2.InstructionScope:
    return cj_admin_pb2.InstructionScope(assignment_id=assignment_id)


def _submit(w: World) -> tuple[Message, Overrides]:
    request = submit_request(ESSAYS[12:14], budget=3)
    request.essays.add(essay_id="by-id", content_id=w.content_ids[2])
    return request, {}


def _list_assessments(w: World) -> tuple[Message, Overrides]:
    shape = {"c": st.sampled_from(values.DATES), "i": values.hostile_text(), "s": st.just("")}
    return cj_pb2.ListAssessmentsRequest(
        page_size=5, page_token=w.tokens["CJAssessmentService/ListAssessments"]), _tokens(shape)


def _list_comparisons(w: World) -> tuple[Message, Overrides]:
    shape = {"a": st.just(w.batch_id), "q": st.sampled_from(values.BIG_INTS)}
    return cj_pb2.ListAssessmentComparisonsRequest(
        assessment_id=w.batch_id, page_size=5,
        page_token=w.tokens["CJAssessmentService/ListAssessmentComparisons"]), _tokens(shape)


def _list_instructions(w: World) -> tuple[Message, Overrides]:
    return cj_admin_pb2.ListAssessmentInstructionsRequest(
        page_size=5, page_token=w.tokens["CJAdminService/ListAssessmentInstructions"]
    ), _tokens({"p": values.hostile_text(), "f": st.just("")})


def _list_anchors(w: World) -> tuple[Message, Overrides]:
    position = st.lists(values.hostile_text(), min_size=3, max_size=3)
    return cj_admin_pb2.ListAnchorsRequest(
        assignment_id=w.assignment_id, page_size=5,
        page_token=w.tokens["CJAdminService/ListAnchors"],
    ), _tokens({"p": position, "f": st.just(w.assignment_id)})


def _plain(build: Callable[[World], Message]) -> Template:
    return lambda w: (build(w), {})


TEMPLATES: dict[str, Template] = {
    "ContentService/PutContent": _plain(lambda w: content_pb2.PutContentRequest(
        request_id=FRESH, content=ESSAYS[3].encode(), content_type="text/plain; charset=utf-8")),
    "ContentService/GetContent": _plain(
        lambda w: content_pb2.GetContentRequest(content_id=w.content_ids[0])),
    "ContentService/BatchGetContent": _plain(
        lambda w: content_pb2.BatchGetContentRequest(content_ids=w.content_ids)),
    "ContentService/StatContent": _plain(
        lambda w: content_pb2.StatContentRequest(content_id=w.content_ids[1])),
    "LLMProviderService/SubmitComparisons": _plain(
        lambda w: llm_pb2.SubmitComparisonsRequest(requests=[comparison_request()])),
    "LLMProviderService/ListModels": _plain(
        lambda w: llm_pb2.ListModelsRequest(provider="simulated")),
    "LLMProviderService/ListProviders": _plain(lambda w: llm_pb2.ListProvidersRequest()),
    "LLMProviderService/TestProvider": _plain(lambda w: llm_pb2.TestProviderRequest(
        provider=JUDGE.provider, model=JUDGE.model)),
    "LLMProviderService/GetQueueStats": _plain(lambda w: llm_pb2.GetQueueStatsRequest()),
    "LLMProviderService/CancelComparisons": _plain(lambda w: llm_pb2.CancelComparisonsRequest(
        group_id=FRESH, reason="property test")),
    "CJAssessmentService/SubmitAssessment": _submit,
    "CJAssessmentService/GetAssessment": _plain(
        lambda w: cj_pb2.GetAssessmentRequest(assessment_id=w.batch_id)),
    "CJAssessmentService/ListAssessments": _list_assessments,
    "CJAssessmentService/GetAssessmentResults": _plain(
        lambda w: cj_pb2.GetAssessmentResultsRequest(assessment_id=w.batch_id)),
    "CJAssessmentService/ListAssessmentComparisons": _list_comparisons,
    "CJAssessmentService/CancelAssessment": _plain(lambda w: cj_pb2.CancelAssessmentRequest(
        assessment_id=VICTIM, request_id=FRESH, reason="property test")),
    "CJAdminService/UpsertAssessmentInstruction": _plain(
        lambda w: cj_admin_pb2.UpsertAssessmentInstructionRequest(
            request_id=FRESH, scope=_scope(w.assignment_id), grade_scale_id=SCALE,
            instructions_text="Judge the argument and its support.",
            context_origin=cj_admin_pb2.CONTEXT_ORIGIN_TEACHER_CUSTOM)),
    "CJAdminService/GetAssessmentInstruction": _plain(
        lambda w: cj_admin_pb2.GetAssessmentInstructionRequest(scope=_scope(w.assignment_id))),
    "CJAdminService/ListAssessmentInstructions": _list_instructions,
    "CJAdminService/DeleteAssessmentInstruction": _plain(
        lambda w: cj_admin_pb2.DeleteAssessmentInstructionRequest(
            scope=_scope(w.spare_assignment_id))),
    "CJAdminService/UploadStudentPrompt": _plain(lambda w: cj_admin_pb2.UploadStudentPromptRequest(
        request_id=FRESH, assignment_id=w.assignment_id,
        text=(SAMPLES / "prompt.txt").read_text())),
    "CJAdminService/GetStudentPrompt": _plain(
        lambda w: cj_admin_pb2.GetStudentPromptRequest(assignment_id=w.assignment_id)),
    "CJAdminService/UploadJudgeRubric": _plain(lambda w: cj_admin_pb2.UploadJudgeRubricRequest(
        request_id=FRESH, assignment_id=w.assignment_id,
        text=(SAMPLES / "rubric.txt").read_text())),
    "CJAdminService/GetJudgeRubric": _plain(
        lambda w: cj_admin_pb2.GetJudgeRubricRequest(assignment_id=w.assignment_id)),
    "CJAdminService/RegisterAnchor": _plain(lambda w: cj_admin_pb2.RegisterAnchorRequest(
        request_id=FRESH, assignment_id=w.assignment_id, label=FRESH, grade=GRADES[0],
        text=ESSAYS[14])),
    "CJAdminService/ListAnchors": _list_anchors,
    "CJAdminService/DeleteAnchor": _plain(
        lambda w: cj_admin_pb2.DeleteAnchorRequest(anchor_id=w.spare_anchor_id)),
    "CJAdminService/ListGradeScales": _plain(lambda w: cj_admin_pb2.ListGradeScalesRequest()),
}


def template(method: Method, world: World) -> tuple[Message, Overrides]:
    request, overrides = TEMPLATES[method.key](world)
    return request, {**COMMON, **overrides}


def _auth(method: Method, world: World) -> st.SearchStrategy[tuple[tuple[str, str], ...]]:
    if method.service != channels.CJ_ADMIN_SERVICE:
        return st.just(())
    ascii_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200)
    forged = st.one_of(
        st.just(()), st.sampled_from(world.forged_admin),
        ascii_text.map(lambda t: (("authorization", t),)),
        ascii_text.map(lambda t: (("authorization", f"Bearer {t}"),)))
    return values.weighted((5, st.just(world.admin)), (1, forged))


def cases(method: Method, world: World) -> st.SearchStrategy[RpcCase]:
    """What the fuzz sends to ``method``: mostly mutated templates, some random messages."""
    request, overrides = template(method, world)
    body = values.weighted((1, st.just(request)), (6, mutated(request, overrides=overrides)),
                           (2, random_message(method.input.DESCRIPTOR, overrides=overrides)))
    repeat = values.weighted((6, st.none()), (1, st.just(SAME)),
                             (1, mutated(request, overrides=overrides)))
    return st.builds(RpcCase, body, _auth(method, world), repeat)
