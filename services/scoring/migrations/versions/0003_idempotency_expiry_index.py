"""Index idempotency records by age, for their expiry.

Revision ID: 0003
Revises: 0002
"""

from shared.idempotency import create_idempotency_expiry_index, drop_idempotency_expiry_index

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_expiry_index()


def downgrade() -> None:
    drop_idempotency_expiry_index()
