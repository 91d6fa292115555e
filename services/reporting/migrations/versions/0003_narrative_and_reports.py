"""Narrative parts with their versions, the report's lifecycle and the area's comments.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

# Frozen once released: UTC datetimes spelt out as DateTime(timezone=True), what shared.db.UtcDateTime stores.

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _part_columns() -> list[sa.Column]:
    return [
        sa.Column("inspection_id", sa.Uuid, primary_key=True),
        sa.Column("part", sa.String(64), primary_key=True),
        sa.Column("lang", sa.String(8), primary_key=True),
    ]


def upgrade() -> None:
    op.create_table(
        "narrative_parts",
        *_part_columns(),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "narrative_versions",
        *_part_columns(),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "reports",
        sa.Column("inspection_id", sa.Uuid, primary_key=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("draft_number", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("sent_for_comment_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("snapshot_id", sa.Uuid, nullable=True),
        sa.Column("document", sa.LargeBinary, nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("improvement_plan_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reinspection_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("roh_thread_score", sa.Float, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "report_comments",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("inspection_id", sa.Uuid, nullable=False, index=True),
        sa.Column("draft_number", sa.Integer, nullable=False),
        sa.Column("section", sa.String(200), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_report_comments_created_at_id", "report_comments", ["inspection_id", "created_at", "id"])


def downgrade() -> None:
    for table in ("report_comments", "reports", "narrative_versions", "narrative_parts"):
        op.drop_table(table)
