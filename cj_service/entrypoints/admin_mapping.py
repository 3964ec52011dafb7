"""Proto <-> admin command/record mapping for the CJAdminService servicer."""

from __future__ import annotations

from datetime import datetime

from google.protobuf import timestamp_pb2

from cj_service.domain.grade_scales import GradeScale
from cj_service.service.admin.models import (
    AnchorRecord,
    ContextOrigin,
    InstructionRecord,
    RegisterAnchor,
    Scope,
    UpsertInstruction,
)
from contracts.errors import invalid_argument
from contracts.huleedu.cj.v1 import cj_admin_pb2 as pb
from contracts.huleedu.common.v1 import common_pb2

_ORIGIN_TO_PROTO = {
    ContextOrigin.UNSPECIFIED: pb.CONTEXT_ORIGIN_UNSPECIFIED,
    ContextOrigin.CANONICAL_NATIONAL: pb.CONTEXT_ORIGIN_CANONICAL_NATIONAL,
    ContextOrigin.RESEARCH_EXPERIMENT: pb.CONTEXT_ORIGIN_RESEARCH_EXPERIMENT,
    ContextOrigin.TEACHER_CUSTOM: pb.CONTEXT_ORIGIN_TEACHER_CUSTOM,
}
_ORIGIN_FROM_PROTO: dict[int, ContextOrigin] = {int(v): k for k, v in _ORIGIN_TO_PROTO.items()}


def scope_from(message: pb.InstructionScope) -> Scope:
    which = message.WhichOneof("scope")
    if which == "assignment_id":
        return Scope(assignment_id=message.assignment_id)
    if which == "course_id":
        return Scope(course_id=message.course_id)
    return Scope()  # validate_scope refuses it with INVALID_ARGUMENT


def origin_from(value: int) -> ContextOrigin:
    try:
        return _ORIGIN_FROM_PROTO[value]
    except KeyError:
        raise invalid_argument("INVALID_ARGUMENT", f"unknown context_origin {value}",
                               field="context_origin") from None


def upsert_command(request: pb.UpsertAssessmentInstructionRequest) -> UpsertInstruction:
    return UpsertInstruction(
        request_id=request.request_id, scope=scope_from(request.scope),
        instructions_text=request.instructions_text, grade_scale_id=request.grade_scale_id,
        context_origin=origin_from(request.context_origin))


def register_command(request: pb.RegisterAnchorRequest) -> RegisterAnchor:
    return RegisterAnchor(
        request_id=request.request_id, assignment_id=request.assignment_id,
        label=request.label, grade=request.grade, text=request.text,
        content_id=request.content_id)


def timestamp(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def scope_proto(scope: Scope) -> pb.InstructionScope:
    if scope.assignment_id:
        return pb.InstructionScope(assignment_id=scope.assignment_id)
    return pb.InstructionScope(course_id=scope.course_id)


def instruction_proto(record: InstructionRecord) -> pb.AssessmentInstruction:
    return pb.AssessmentInstruction(
        scope=scope_proto(record.scope), instructions_text=record.instructions_text,
        grade_scale_id=record.grade_scale_id,
        context_origin=_ORIGIN_TO_PROTO[record.context_origin],
        student_prompt_content_id=record.student_prompt_content_id,
        judge_rubric_content_id=record.judge_rubric_content_id,
        created_at=timestamp(record.created_at), updated_at=timestamp(record.updated_at))


def anchor_proto(record: AnchorRecord) -> pb.Anchor:
    return pb.Anchor(
        anchor_id=record.anchor_id, assignment_id=record.assignment_id, label=record.label,
        grade=record.grade, grade_scale_id=record.grade_scale_id,
        content_id=record.content_id, created_at=timestamp(record.created_at),
        updated_at=timestamp(record.updated_at))


def scale_proto(scale: GradeScale) -> common_pb2.GradeScale:
    return common_pb2.GradeScale(
        id=scale.id, display_name=scale.display_name, grades=list(scale.grades),
        priors=list(scale.priors), below_lowest_grade=scale.below_lowest_grade or "")
