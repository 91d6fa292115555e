"""The append-only audit trail of every write.

Revision ID: 0003
Revises: 0002
"""

from shared.audit import create_audit_table, drop_audit_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_table()


def downgrade() -> None:
    drop_audit_table()
