"""CJAdminService servicer: proto -> command -> admin handler -> proto.

Authentication is not here: AdminAuthInterceptor refuses calls without an admin JWT before
they reach this class. ServiceErrors become rich statuses (code + ErrorInfo reason).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cj_service.domain.grade_scales import list_scales
from cj_service.entrypoints import admin_mapping as m
from cj_service.entrypoints.servicer import rpc  # same error mapping as CJAssessmentService
from cj_service.service.admin import anchors, context_texts, instructions
from cj_service.service.admin.models import UploadContextText
from cj_service.service.admin.ports import AdminRepository, TextStore
from contracts.huleedu.cj.v1 import cj_admin_pb2 as pb
from contracts.huleedu.cj.v1 import cj_pb2, cj_service_pb2_grpc

SERVICE_NAME = "huleedu.cj.v1.CJAdminService"


@dataclass(frozen=True)
class AdminSettings:
    anchor_min_chars: int = anchors.DEFAULT_MIN_CHARS

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AdminSettings:
        """CJ_ANCHOR_MIN_CHARS: shortest anchor text accepted (stripped characters)."""
        raw = env.get("CJ_ANCHOR_MIN_CHARS", "").strip()
        value = int(raw) if raw else cls.anchor_min_chars
        if value < 1:
            raise ValueError(f"CJ_ANCHOR_MIN_CHARS must be >= 1, got {raw!r}")
        return cls(anchor_min_chars=value)


class CJAdminServicer(cj_service_pb2_grpc.CJAdminServiceServicer):
    def __init__(self, repo: AdminRepository, content: TextStore, *,
                 settings: AdminSettings | None = None) -> None:
        self._repo = repo
        self._content = content
        self._settings = settings or AdminSettings()

    @rpc
    async def UpsertAssessmentInstruction(self, request: pb.UpsertAssessmentInstructionRequest
                                          ) -> pb.UpsertAssessmentInstructionResponse:
        record, created = await instructions.upsert_instruction(
            m.upsert_command(request), repo=self._repo)
        return pb.UpsertAssessmentInstructionResponse(
            instruction=m.instruction_proto(record), created=created)

    @rpc
    async def GetAssessmentInstruction(self, request: pb.GetAssessmentInstructionRequest
                                       ) -> pb.GetAssessmentInstructionResponse:
        record = await instructions.get_instruction(m.scope_from(request.scope),
                                                          repo=self._repo)
        return pb.GetAssessmentInstructionResponse(instruction=m.instruction_proto(record))

    @rpc
    async def ListAssessmentInstructions(self, request: pb.ListAssessmentInstructionsRequest
                                         ) -> pb.ListAssessmentInstructionsResponse:
        page = await instructions.list_instructions(
            repo=self._repo, size=request.page_size, token=request.page_token,
            grade_scale_id=request.grade_scale_id)
        return pb.ListAssessmentInstructionsResponse(
            instructions=[m.instruction_proto(r) for r in page.items],
            next_page_token=page.next_page_token, total_count=page.total_count)

    @rpc
    async def DeleteAssessmentInstruction(self, request: pb.DeleteAssessmentInstructionRequest
                                          ) -> pb.DeleteAssessmentInstructionResponse:
        deleted = await instructions.delete_instruction(m.scope_from(request.scope),
                                                              repo=self._repo)
        return pb.DeleteAssessmentInstructionResponse(deleted=deleted)

    @rpc
    async def UploadStudentPrompt(self, request: pb.UploadStudentPromptRequest
                                  ) -> pb.UploadStudentPromptResponse:
        content_id = await self._upload(request, "student_prompt")
        return pb.UploadStudentPromptResponse(assignment_id=request.assignment_id,
                                              content_id=content_id)

    @rpc
    async def GetStudentPrompt(self, request: pb.GetStudentPromptRequest
                               ) -> pb.GetStudentPromptResponse:
        stored = await context_texts.get_text(request.assignment_id, "student_prompt",
                                            repo=self._repo, content=self._content)
        return pb.GetStudentPromptResponse(assignment_id=stored.assignment_id,
                                           content_id=stored.content_id, text=stored.text)

    @rpc
    async def UploadJudgeRubric(self, request: pb.UploadJudgeRubricRequest
                                ) -> pb.UploadJudgeRubricResponse:
        content_id = await self._upload(request, "judge_rubric")
        return pb.UploadJudgeRubricResponse(assignment_id=request.assignment_id,
                                            content_id=content_id)

    @rpc
    async def GetJudgeRubric(self, request: pb.GetJudgeRubricRequest
                             ) -> pb.GetJudgeRubricResponse:
        stored = await context_texts.get_text(request.assignment_id, "judge_rubric",
                                            repo=self._repo, content=self._content)
        return pb.GetJudgeRubricResponse(assignment_id=stored.assignment_id,
                                         content_id=stored.content_id, text=stored.text)

    @rpc
    async def RegisterAnchor(self, request: pb.RegisterAnchorRequest
                             ) -> pb.RegisterAnchorResponse:
        record, created = await anchors.register_anchor(
            m.register_command(request), repo=self._repo, content=self._content,
            min_chars=self._settings.anchor_min_chars)
        return pb.RegisterAnchorResponse(anchor=m.anchor_proto(record), created=created)

    @rpc
    async def ListAnchors(self, request: pb.ListAnchorsRequest) -> pb.ListAnchorsResponse:
        page = await anchors.list_anchors(
            request.assignment_id, repo=self._repo, size=request.page_size,
            token=request.page_token)
        return pb.ListAnchorsResponse(
            anchors=[m.anchor_proto(a) for a in page.anchors],
            next_page_token=page.next_page_token,
            counts_by_grade=[cj_pb2.GradeCount(grade=g, count=n)
                             for g, n in page.counts_by_grade])

    @rpc
    async def DeleteAnchor(self, request: pb.DeleteAnchorRequest) -> pb.DeleteAnchorResponse:
        deleted = await anchors.delete_anchor(request.anchor_id, repo=self._repo)
        return pb.DeleteAnchorResponse(deleted=deleted)

    @rpc
    async def ListGradeScales(self, request: pb.ListGradeScalesRequest
                              ) -> pb.ListGradeScalesResponse:
        return pb.ListGradeScalesResponse(scales=[m.scale_proto(s) for s in list_scales()])

    async def _upload(self, request: Any, kind: str) -> str:
        command = UploadContextText(request_id=request.request_id,
                                    assignment_id=request.assignment_id,
                                    text=request.text, kind=kind)
        return await context_texts.upload_text(command, repo=self._repo, content=self._content)
