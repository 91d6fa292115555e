"""Idempotency records.

Revision ID: 0001
Revises:
"""

from shared.idempotency import create_idempotency_records_table

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_records_table()


def downgrade() -> None:
    from alembic import op

    op.drop_table("idempotency_records")
