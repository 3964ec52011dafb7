"""Plain records and commands of the admin use cases (no proto, no SQL).

The entrypoint maps protos to these commands and records back to protos; the repository maps
rows to records. Empty strings stand for "not set", as in proto3.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class ContextOrigin(enum.StrEnum):
    """Who owns an assignment's context; the values are what the database stores."""

    UNSPECIFIED = ""
    CANONICAL_NATIONAL = "canonical_national"
    RESEARCH_EXPERIMENT = "research_experiment"
    TEACHER_CUSTOM = "teacher_custom"


@dataclass(frozen=True)
class Scope:
    """Exactly one of assignment_id or course_id is non-empty (checked by `validate_scope`)."""

    assignment_id: str = ""
    course_id: str = ""

    @property
    def kind(self) -> str:
        return "assignment" if self.assignment_id else "course"

    @property
    def value(self) -> str:
        return self.assignment_id or self.course_id

    @property
    def key(self) -> str:
        """A single sortable string naming the scope, e.g. ``assignment:essay-2024``."""
        return f"{self.kind}:{self.value}"


@dataclass(frozen=True)
class InstructionRecord:
    scope: Scope
    instructions_text: str
    grade_scale_id: str
    context_origin: ContextOrigin
    student_prompt_content_id: str
    judge_rubric_content_id: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AnchorRecord:
    anchor_id: str
    assignment_id: str
    label: str
    grade: str
    grade_scale_id: str
    content_id: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class InstructionFields:
    """What a change writes on an instruction; an empty field keeps what is stored (on a new
    instruction: stays empty)."""

    instructions_text: str = ""
    grade_scale_id: str = ""
    context_origin: ContextOrigin = ContextOrigin.UNSPECIFIED
    student_prompt_content_id: str = ""
    judge_rubric_content_id: str = ""


@dataclass(frozen=True)
class NewAnchor:
    """An anchor as registered: the repository adds the timestamps."""

    anchor_id: str
    assignment_id: str
    label: str
    grade: str
    grade_scale_id: str
    content_id: str


@dataclass(frozen=True)
class UpsertInstruction:
    request_id: str
    scope: Scope
    instructions_text: str
    grade_scale_id: str
    context_origin: ContextOrigin


@dataclass(frozen=True)
class UploadContextText:
    """Upload of a student prompt or a judge rubric (`kind` says which)."""

    request_id: str
    assignment_id: str
    text: str
    kind: str  # "student_prompt" | "judge_rubric"


@dataclass(frozen=True)
class RegisterAnchor:
    """Exactly one of text / content_id carries the anchor essay."""

    request_id: str
    assignment_id: str
    label: str
    grade: str
    text: str = ""
    content_id: str = ""


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    next_page_token: str
    total_count: int


def to_json(record: InstructionRecord | AnchorRecord) -> dict[str, Any]:
    """A record as JSON-safe values (for remembered request answers)."""
    return json.loads(json.dumps(dataclasses.asdict(record), default=_json_default))


def instruction_from_json(data: Mapping[str, Any]) -> InstructionRecord:
    fields = {**data, "scope": Scope(**data["scope"]),
              "context_origin": ContextOrigin(data["context_origin"])}
    return InstructionRecord(**_with_times(fields))


def anchor_from_json(data: Mapping[str, Any]) -> AnchorRecord:
    return AnchorRecord(**_with_times(dict(data)))


def _with_times(fields: dict[str, Any]) -> dict[str, Any]:
    for name in ("created_at", "updated_at"):
        fields[name] = datetime.fromisoformat(fields[name])
    return fields


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
