"""Admin tables: assessment instructions, anchors, remembered admin requests.

Revision ID: 0002_admin
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_admin"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def _timestamps() -> list[sa.Column]:
    now = sa.text("now()")
    return [sa.Column("created_at", sa.DateTime(timezone=True), server_default=now,
                      nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), server_default=now,
                      nullable=False)]


def _empty_text(name: str) -> sa.Column:
    return sa.Column(name, sa.Text(), server_default="", nullable=False)


def upgrade() -> None:
    op.create_table(
        "cj_admin_instructions",
        sa.Column("scope_key", sa.Text(), nullable=False),
        sa.Column("assignment_id", sa.Text(), nullable=True),
        sa.Column("course_id", sa.Text(), nullable=True),
        *(_empty_text(name) for name in (
            "instructions_text", "grade_scale_id", "context_origin",
            "student_prompt_content_id", "judge_rubric_content_id")),
        *_timestamps(),
        sa.CheckConstraint("(assignment_id IS NULL) <> (course_id IS NULL)",
                           name="ck_cj_admin_instructions_one_scope"),
        sa.PrimaryKeyConstraint("scope_key", name="pk_cj_admin_instructions"),
        sa.UniqueConstraint("assignment_id", name="uq_cj_admin_instructions_assignment_id"),
        sa.UniqueConstraint("course_id", name="uq_cj_admin_instructions_course_id"),
    )
    op.create_index("ix_cj_admin_instructions_scale", "cj_admin_instructions",
                    ["grade_scale_id", "scope_key"])
    op.create_table(
        "cj_admin_anchors",
        *(sa.Column(name, sa.Text(), nullable=False) for name in (
            "anchor_id", "assignment_id", "label", "grade", "grade_scale_id", "content_id")),
        *_timestamps(),
        sa.PrimaryKeyConstraint("anchor_id", name="pk_cj_admin_anchors"),
        sa.UniqueConstraint("assignment_id", "label", "grade_scale_id",
                            name="uq_cj_admin_anchors_assignment_label_scale"),
    )
    op.create_table(
        "cj_admin_requests",
        sa.Column("request_id", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.PrimaryKeyConstraint("request_id", name="pk_cj_admin_requests"),
    )


def downgrade() -> None:
    op.drop_table("cj_admin_requests")
    op.drop_table("cj_admin_anchors")
    op.drop_index("ix_cj_admin_instructions_scale", table_name="cj_admin_instructions")
    op.drop_table("cj_admin_instructions")
