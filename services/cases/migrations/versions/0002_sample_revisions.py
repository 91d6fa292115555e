"""Sample revisions: what changed since a reader last looked.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("inspections", sa.Column("sample_revision", sa.Integer, nullable=False, server_default="0"))
    for table in ("cases", "assessments"):
        op.add_column(table, sa.Column("revision", sa.Integer, nullable=False, server_default="0"))
        op.create_index(f"ix_{table}_inspection_revision", table, ["inspection_id", "revision"])


def downgrade() -> None:
    for table in ("cases", "assessments"):
        op.drop_index(f"ix_{table}_inspection_revision", table)
        op.drop_column(table, "revision")
    op.drop_column("inspections", "sample_revision")
