"""Argument checks shared by the admin commands: the limits of service/limits.py, applied
before anything is read or written (INVALID_ARGUMENT, or RESOURCE_EXHAUSTED for a size)."""

from __future__ import annotations

from cj_service.domain.grade_scales import GradeScale, UnknownGradeScale, get_scale
from cj_service.service import limits
from cj_service.service.admin.models import Scope
from contracts import text
from contracts.errors import invalid_argument


def require(field: str, value: str) -> str:
    """A required id: present, not blank, within the id rule."""
    text.check(field, value, limits.REQUIRED_ID)
    if not value.strip():
        raise invalid_argument("INVALID_ARGUMENT", f"{field} is required", field=field)
    return value


def validate_scope(scope: Scope) -> Scope:
    """Exactly one of assignment_id or course_id."""
    if bool(scope.assignment_id) == bool(scope.course_id):
        raise invalid_argument(
            "INVALID_ARGUMENT", "scope must name exactly one of assignment_id or course_id",
            field="scope")
    require(f"scope.{scope.kind}_id", scope.value)
    return scope


def scale_named(grade_scale_id: str) -> GradeScale:
    text.check("grade_scale_id", grade_scale_id, limits.ID)
    try:
        return get_scale(grade_scale_id)
    except UnknownGradeScale as err:
        raise invalid_argument("UNKNOWN_GRADE_SCALE", str(err),
                               grade_scale_id=grade_scale_id) from None


def context_text(field: str, value: str, *, required: bool) -> None:
    """Instructions, a student prompt or a judge rubric (64 KiB). A required one that shows
    nothing is CONTENT_EMPTY, an optional one INVALID_ARGUMENT (empty = not given)."""
    found = text.problem(field, value, limits.CONTEXT)
    if found is not None and (found.too_large or text.first_bad_character(value)):
        raise text.as_error(found)
    if required and not text.has_visible(value):
        raise invalid_argument("CONTENT_EMPTY", f"{field} has no visible character",
                               field=field)
    if found is not None:
        raise text.as_error(found)
