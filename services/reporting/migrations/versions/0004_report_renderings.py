"""A published report's renderings (JSON, HTML, PDF per language), frozen at publication.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_renderings",
        sa.Column("inspection_id", sa.Uuid, primary_key=True),
        sa.Column("lang", sa.String(8), primary_key=True),
        sa.Column("media_type", sa.String(64), primary_key=True),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("report_renderings")
