"""The append-only audit trail of every write.

Revision ID: 0004
Revises: 0003
"""

from shared.audit import create_audit_table, drop_audit_table

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_table()


def downgrade() -> None:
    drop_audit_table()
