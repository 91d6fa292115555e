"""Score snapshots.

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
    op.create_table(
        "score_snapshots",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("inspection_id", sa.Uuid, nullable=False, index=True),
        sa.Column("label", sa.String(200), nullable=True),
        sa.Column("framework_id", sa.String(64), nullable=False),
        sa.Column("framework_version", sa.Integer, nullable=False),
        sa.Column("assessments_sha256", sa.String(64), nullable=False),
        sa.Column("scores", sa.JSON, nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_score_snapshots_inspection_taken", "score_snapshots", ["inspection_id", "taken_at", "id"])


def downgrade() -> None:
    op.drop_table("score_snapshots")
