"""Pure checks of a SubmitAssessment command (no I/O): every problem is a ServiceError."""

from __future__ import annotations

from collections import Counter

from cj_service.domain import grade_scales
from cj_service.service.model import SubmitCommand
from contracts import ids
from contracts.errors import ServiceError, failed_precondition, invalid_argument

MAX_PROVIDER_PATIENCE_S = 24 * 3600.0


def validate(cmd: SubmitCommand) -> None:
    if not cmd.request_id:
        raise invalid_argument("INVALID_ARGUMENT", "request_id is required", field="request_id")
    _check_essays(cmd)
    _check_stopping(cmd)
    if cmd.grade_scale_id:
        scale_of(cmd.grade_scale_id)
    for ref, name in (
        (cmd.student_prompt_content_id, "student_prompt_content_id"),
        (cmd.judge_rubric_override_content_id, "judge_rubric_override_content_id"),
    ):
        if ref and not ids.is_content_id(ref):
            raise invalid_argument(
                "INVALID_CONTENT_ID", f"{name} {ref!r} is not a content id", field=name
            )


def _check_essays(cmd: SubmitCommand) -> None:
    for i, essay in enumerate(cmd.essays):
        where = f"essays[{i}]"
        if not essay.essay_id:
            raise invalid_argument("INVALID_ARGUMENT", f"{where}.essay_id is required", field=where)
        if not essay.has_source:
            raise invalid_argument(
                "INVALID_ARGUMENT",
                f"{where} needs a content_id or a text",
                field=where,
                essay_id=essay.essay_id,
            )
        if essay.content_id and not ids.is_content_id(essay.content_id):
            raise invalid_argument(
                "INVALID_CONTENT_ID",
                f"{where}.content_id is not a content id",
                field=where,
                essay_id=essay.essay_id,
            )
        if not essay.content_id and not essay.text.strip():
            raise invalid_argument(
                "CONTENT_EMPTY", f"{where}.text is empty", field=where, essay_id=essay.essay_id
            )
    check_unique([e.essay_id for e in cmd.essays])


def check_unique(essay_ids: list[str]) -> None:
    dupes = sorted(k for k, n in Counter(essay_ids).items() if n > 1)
    if dupes:
        raise invalid_argument(
            "DUPLICATE_ESSAY_ID",
            f"essay ids are not unique: {', '.join(dupes)}",
            essay_ids=",".join(dupes),
        )


def _check_stopping(cmd: SubmitCommand) -> None:
    s = cmd.stopping
    problems = []
    if s.budget < 0:
        problems.append("stopping.budget must be >= 1 (0 = default)")
    if not 0.0 <= s.target_reliability < 1.0:
        problems.append("stopping.target_reliability must be in [0, 1)")
    if s.min_comparisons_per_essay < 0 or s.max_in_flight < 0:
        problems.append("stopping counts must not be negative")
    if not 0.0 <= s.min_judge_success_rate <= 1.0:
        problems.append("stopping.min_judge_success_rate must be in [0, 1]")
    if s.stall_timeout_s is not None and s.stall_timeout_s <= 0:
        problems.append("stopping.stall_timeout must be positive")
    patience = s.provider_patience_s
    if patience is not None and not 0 < patience <= MAX_PROVIDER_PATIENCE_S:
        problems.append("stopping.provider_patience must be positive and at most 24 h")
    if problems:
        raise invalid_argument("INVALID_ARGUMENT", "; ".join(problems), field="stopping")


def scale_of(scale_id: str) -> grade_scales.GradeScale:
    try:
        return grade_scales.get_scale(scale_id)
    except grade_scales.UnknownGradeScale as err:
        raise invalid_argument("UNKNOWN_GRADE_SCALE", str(err), grade_scale_id=scale_id) from None


def check_anchor_grades(grades: list[tuple[str, str]], scale_id: str) -> None:
    """grades: (essay id, grade) of inline anchors; they need a scale and valid grades."""
    if not grades:
        return
    if not scale_id:
        raise invalid_argument(
            "UNKNOWN_GRADE_SCALE",
            "inline anchors need a grade_scale_id (or an assignment with one)",
            field="grade_scale_id",
        )
    scale = scale_of(scale_id)
    bad = [
        f"{essay_id}={grade}"
        for essay_id, grade in grades
        if not grade_scales.is_valid_grade(scale, grade)
    ]
    if bad:
        raise invalid_argument(
            "INVALID_GRADE",
            f"grades not on scale {scale_id}: {', '.join(bad)}",
            grade_scale_id=scale_id,
        )


def missing_context(what: str, missing: list[str]) -> ServiceError:
    return failed_precondition(
        "CONTEXT_MISSING",
        f"{what} not found in the content service: {', '.join(missing)}",
        missing=",".join(missing),
    )
