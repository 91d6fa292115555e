"""Idempotency records.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

# A migration is frozen once released: it spells out its columns (UTC datetimes are DateTime(timezone=True),
# what shared.db.UtcDateTime stores) rather than import code that may change.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_records",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("scope", sa.String(512), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=False),
        sa.Column("response_body", sa.Text, nullable=False),
        sa.Column("response_headers", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("idempotency_records")
