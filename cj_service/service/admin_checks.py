"""Argument checks shared by the admin commands (INVALID_ARGUMENT with a reason)."""

from __future__ import annotations

from cj_service.domain.grade_scales import GradeScale, UnknownGradeScale, get_scale
from cj_service.service.admin_models import Scope
from contracts.errors import invalid_argument


def require(field: str, value: str) -> str:
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
    try:
        return get_scale(grade_scale_id)
    except UnknownGradeScale as err:
        raise invalid_argument("UNKNOWN_GRADE_SCALE", str(err),
                               grade_scale_id=grade_scale_id) from None
