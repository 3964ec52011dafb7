"""Tables of the admin side (instructions, anchors, remembered admin requests).

They live on their own MetaData so the assessment tables and these evolve in separate
migrations (0001_core and 0002_admin); nothing joins across the two sets. Empty strings mean
"not set", as in the proto contract, so columns are NOT NULL with '' defaults.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Index,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "pk": "pk_%(table_name)s",
}
admin_metadata = MetaData(naming_convention=NAMING)
metadata = admin_metadata  # the name migrations/env.py looks for


def _timestamps() -> list[Column]:
    return [
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


# One row per scope; scope_key is "assignment:<id>" or "course:<id>" (the paging order).
instructions = Table(
    "cj_admin_instructions",
    admin_metadata,
    Column("scope_key", Text, primary_key=True),
    Column("assignment_id", Text, nullable=True, unique=True),
    Column("course_id", Text, nullable=True, unique=True),
    Column("instructions_text", Text, nullable=False, server_default=""),
    Column("grade_scale_id", Text, nullable=False, server_default=""),
    Column("context_origin", Text, nullable=False, server_default=""),
    Column("student_prompt_content_id", Text, nullable=False, server_default=""),
    Column("judge_rubric_content_id", Text, nullable=False, server_default=""),
    *_timestamps(),
    CheckConstraint("(assignment_id IS NULL) <> (course_id IS NULL)", name="one_scope"),
    Index("ix_cj_admin_instructions_scale", "grade_scale_id", "scope_key"),
)

# Anchors are keyed by assignment + label + scale; anchor_id is derived from that key.
anchors = Table(
    "cj_admin_anchors",
    admin_metadata,
    Column("anchor_id", Text, primary_key=True),
    Column("assignment_id", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("grade", Text, nullable=False),
    Column("grade_scale_id", Text, nullable=False),
    Column("content_id", Text, nullable=False),
    *_timestamps(),
    UniqueConstraint("assignment_id", "label", "grade_scale_id",
                     name="uq_cj_admin_anchors_assignment_label_scale"),
)

# The first answer to each mutating admin request_id, replayed to duplicates.
requests = Table(
    "cj_admin_requests",
    admin_metadata,
    Column("request_id", Text, primary_key=True),
    Column("method", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("result", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
