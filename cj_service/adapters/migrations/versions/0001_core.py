"""Core tables: batches, batch_essays, comparisons, fit_snapshots, outbox, request_ids.

Revision ID: 0001_core
Revises:
Create Date: 2026-11-22 19:30:49.777339
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("completion_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("failure_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.Column("request_id", sa.Text(), nullable=False),
        sa.Column("assignment_id", sa.Text(), server_default="", nullable=False),
        sa.Column("grade_scale_id", sa.Text(), server_default="", nullable=False),
        sa.Column("context_origin", sa.Text(), server_default="", nullable=False),
        sa.Column("judge_provider", sa.Text(), nullable=False),
        sa.Column("judge_model", sa.Text(), nullable=False),
        sa.Column("judge_config", sa.LargeBinary(), nullable=False),
        sa.Column("budget", sa.Integer(), nullable=False),
        sa.Column("target_reliability", sa.Float(), nullable=False),
        sa.Column("min_comparisons_per_essay", sa.Integer(), nullable=False),
        sa.Column("max_in_flight", sa.Integer(), nullable=False),
        sa.Column("min_judge_success_rate", sa.Float(), nullable=False),
        sa.Column("stall_timeout_s", sa.Float(), nullable=False),
        sa.Column("instructions_text", sa.Text(), server_default="", nullable=False),
        sa.Column("student_prompt_text", sa.Text(), server_default="", nullable=False),
        sa.Column("rubric_text", sa.Text(), server_default="", nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("essay_count", sa.Integer(), nullable=False),
        sa.Column("anchor_count", sa.Integer(), nullable=False),
        sa.Column("comparisons_created", sa.Integer(), server_default="0", nullable=False),
        sa.Column("comparisons_done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("comparisons_failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("comparisons_in_flight", sa.Integer(), server_default="0", nullable=False),
        sa.Column("verdicts_at_last_fit", sa.Integer(), server_default="0", nullable=False),
        sa.Column("top_ups", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reliability", sa.Float(), server_default="0", nullable=False),
        sa.Column("ssr", sa.Float(), server_default="0", nullable=False),
        sa.Column("cost_usd", sa.Float(), server_default="0", nullable=False),
        sa.Column("prompt_tokens", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("completion_tokens", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("cache_read_tokens", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("cache_write_tokens", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("correlation_id", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("results", sa.LargeBinary(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "progress_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    op.create_index("ix_batches_created", "batches", ["created_at", "id"], unique=False)
    op.create_index("ix_batches_state_created", "batches", ["state", "created_at"], unique=False)
    op.create_table(
        "outbox",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("batch_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("schema", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("batch_id", "kind", name="uq_outbox_batch_kind"),
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "request_ids",
        sa.Column("operation", sa.Text(), nullable=False),
        sa.Column("request_id", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("batch_id", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("operation", "request_id", name=op.f("pk_request_ids")),
    )
    op.create_table(
        "batch_essays",
        sa.Column("batch_id", sa.Text(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("essay_id", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), server_default="", nullable=False),
        sa.Column("content_id", sa.Text(), server_default="", nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("is_anchor", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("anchor_grade", sa.Text(), server_default="", nullable=False),
        sa.Column("times_a", sa.Integer(), server_default="0", nullable=False),
        sa.Column("times_b", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["batches.id"],
            name=op.f("fk_batch_essays_batch_id_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("batch_id", "idx", name=op.f("pk_batch_essays")),
        sa.UniqueConstraint("batch_id", "essay_id", name="uq_batch_essays_batch_essay"),
    )
    op.create_table(
        "comparisons",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("batch_id", sa.Text(), nullable=False),
        sa.Column("idx_a", sa.Integer(), nullable=False),
        sa.Column("idx_b", sa.Integer(), nullable=False),
        sa.Column("pair_attempt", sa.Integer(), server_default="1", nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("requeued", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("winner", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("probability_a", sa.Float(), nullable=True),
        sa.Column("confidence", sa.Integer(), server_default="0", nullable=False),
        sa.Column("justification", sa.Text(), server_default="", nullable=False),
        sa.Column("provider", sa.Text(), server_default="", nullable=False),
        sa.Column("model", sa.Text(), server_default="", nullable=False),
        sa.Column("prompt_tokens", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("completion_tokens", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("cache_read_tokens", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("cache_write_tokens", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("cost_usd", sa.Float(), server_default="0", nullable=False),
        sa.Column("prompt_sha256", sa.Text(), server_default="", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.LargeBinary(), nullable=True),
        sa.Column("error_retryable", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["batches.id"],
            name=op.f("fk_comparisons_batch_id_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comparisons")),
        sa.UniqueConstraint("seq", name=op.f("uq_comparisons_seq")),
    )
    op.create_index("ix_comparisons_batch_seq", "comparisons", ["batch_id", "seq"], unique=False)
    op.create_index(
        "ix_comparisons_batch_status", "comparisons", ["batch_id", "status"], unique=False
    )
    op.create_index(
        "ix_comparisons_pending",
        "comparisons",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.create_table(
        "fit_snapshots",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("batch_id", sa.Text(), nullable=False),
        sa.Column("comparisons", sa.Integer(), nullable=False),
        sa.Column("reliability", sa.Float(), nullable=False),
        sa.Column("ssr", sa.Float(), nullable=False),
        sa.Column("position_bias", sa.Float(), nullable=False),
        sa.Column("position_bias_se", sa.Float(), nullable=False),
        sa.Column("scores", postgresql.ARRAY(sa.Float()), nullable=False),
        sa.Column("ses", postgresql.ARRAY(sa.Float()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["batches.id"],
            name=op.f("fk_fit_snapshots_batch_id_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fit_snapshots")),
    )
    op.create_index("ix_fit_snapshots_batch", "fit_snapshots", ["batch_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_fit_snapshots_batch", table_name="fit_snapshots")
    op.drop_table("fit_snapshots")
    op.drop_index(
        "ix_comparisons_pending",
        table_name="comparisons",
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.drop_index("ix_comparisons_batch_status", table_name="comparisons")
    op.drop_index("ix_comparisons_batch_seq", table_name="comparisons")
    op.drop_table("comparisons")
    op.drop_table("batch_essays")
    op.drop_table("request_ids")
    op.drop_index(
        "ix_outbox_unpublished",
        table_name="outbox",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_table("outbox")
    op.drop_index("ix_batches_state_created", table_name="batches")
    op.drop_index("ix_batches_created", table_name="batches")
    op.drop_table("batches")
