"""batches.fewest_comparisons: the fewest judged comparisons of any text at the last fit.

The stopping rule does not stop on reliability before every essay has the batch's
min_comparisons_per_essay (the contract's wording); an average let a batch finalize with
essays never judged.

Revision ID: 0005_fewest_comparisons
Revises: 0004_comparison_chain
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_fewest_comparisons"
down_revision = "0004_comparison_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "batches",
        sa.Column("fewest_comparisons", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("batches", "fewest_comparisons")
