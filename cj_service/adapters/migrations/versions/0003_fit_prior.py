"""fit_snapshots.prior_sd: the fitted prior width, so refits warm-start from the last fit.

Revision ID: 0003_fit_prior
Revises: 0002_admin
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_fit_prior"
down_revision = "0002_admin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "fit_snapshots", sa.Column("prior_sd", sa.Float(), server_default="1.0", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("fit_snapshots", "prior_sd")
