"""comparisons.chain: which of the design's two independent chains a comparison belongs to.

Revision ID: 0004_comparison_chain
Revises: 0003_fit_prior
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_comparison_chain"
down_revision = "0003_fit_prior"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: rows planned before the two-chain design have no chain; readers alternate them.
    op.add_column("comparisons", sa.Column("chain", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("comparisons", "chain")
