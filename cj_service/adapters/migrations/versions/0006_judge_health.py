"""Judge health on the batch row: failed attempts by kind, dropped P(A), A wins, estimated
tokens, the last verdict and the failures since it (provider patience), the last provider
message, the position bias (for warnings) and whether llm_provider was told the batch ended.

Revision ID: 0006_judge_health
Revises: 0005_fewest_comparisons
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006_judge_health"
down_revision = "0005_fewest_comparisons"
branch_labels = None
depends_on = None

_EMPTY = sa.text("'{}'::jsonb")


def _columns() -> list[sa.Column]:
    return [
        sa.Column("failed_attempts", JSONB(), nullable=False, server_default=_EMPTY),
        sa.Column("failed_since_verdict", JSONB(), nullable=False, server_default=_EMPTY),
        sa.Column("probability_a_dropped", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("a_wins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("tokens_estimated", sa.Boolean(), nullable=False, server_default="false"),
        sa.Column("provider_patience_s", sa.Float(), nullable=False, server_default="300"),
        sa.Column("verdict_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False, server_default=""),
        sa.Column("position_bias", sa.Float(), nullable=True),
        sa.Column("position_bias_se", sa.Float(), nullable=True),
        sa.Column("llm_cancelled", sa.Boolean(), nullable=False, server_default="false"),
    ]


def upgrade() -> None:
    for column in _columns():
        op.add_column("batches", column)
    op.execute(
        "UPDATE batches SET a_wins = (SELECT count(*) FROM comparisons c "
        "WHERE c.batch_id = batches.id AND c.status = 'JUDGED' AND c.winner = 1)"
    )
    # Provider patience counts from the last verdict: a batch running at the upgrade has one
    # already (without it the watchdog would count from its creation and fail it at once).
    op.execute(
        "UPDATE batches SET verdict_at = (SELECT max(c.completed_at) FROM comparisons c "
        "WHERE c.batch_id = batches.id AND c.status = 'JUDGED')"
    )
    # Batches that ended before this revision had nothing cancelled for them; do not retry.
    op.execute(
        "UPDATE batches SET llm_cancelled = true WHERE state NOT IN ('SUBMITTED', 'RUNNING')"
    )


def downgrade() -> None:
    for column in reversed(_columns()):
        op.drop_column("batches", column.name)
