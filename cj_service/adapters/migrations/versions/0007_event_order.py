"""outbox.seq: the order a batch's events were written in, which the relay publishes them in
(their created_at is the transaction's start, the same for all of them, and the id a hash);
batches.no_truth_texts: the texts the simulated judge said it had no truth for.

Revision ID: 0007_event_order
Revises: 0006_judge_health
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007_event_order"
down_revision = "0006_judge_health"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False))
    op.create_unique_constraint(op.f("uq_outbox_seq"), "outbox", ["seq"])
    op.create_index(
        "ix_outbox_unpublished_seq",
        "outbox",
        ["seq"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.add_column(
        "batches",
        sa.Column(
            "no_truth_texts", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")
        ),
    )


def downgrade() -> None:
    op.drop_column("batches", "no_truth_texts")
    op.drop_index("ix_outbox_unpublished_seq", table_name="outbox")
    op.drop_constraint(op.f("uq_outbox_seq"), "outbox", type_="unique")
    op.drop_column("outbox", "seq")
