"""outbox.dead_at / dead_reason: a row the relay can never publish (over NATS's max_payload,
a subject or header NATS refuses) is dead-lettered instead of blocking every later row
(docs/events.md "Dead letters" says how an operator finds and replays one).

Revision ID: 0008_outbox_dead_letters
Revises: 0007_event_order
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_outbox_dead_letters"
down_revision = "0007_event_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "outbox", sa.Column("dead_reason", sa.Text(), nullable=False, server_default="")
    )


def downgrade() -> None:
    op.drop_column("outbox", "dead_reason")
    op.drop_column("outbox", "dead_at")
