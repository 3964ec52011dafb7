"""content_items and put_requests

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "content_items",
        sa.Column("content_id", sa.Text(), primary_key=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        # The database itself guarantees that an id names exactly the bytes stored under it.
        sa.CheckConstraint(
            "content_id = encode(sha256(content), 'hex')", name="content_id_is_sha256"
        ),
        sa.CheckConstraint("size_bytes = octet_length(content)", name="size_matches_content"),
    )
    op.create_table(
        "put_requests",
        sa.Column("request_id", sa.Text(), primary_key=True),
        sa.Column(
            "content_id", sa.Text(), sa.ForeignKey("content_items.content_id"), nullable=False
        ),
        sa.Column("created", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def downgrade() -> None:
    op.drop_table("put_requests")
    op.drop_table("content_items")
