"""Questionnaire templates, each inspection's questionnaires and their returns.

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


def upgrade() -> None:
    op.create_table(
        "questionnaire_templates",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("respondent", sa.String(16), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "questionnaires",
        sa.Column("inspection_id", sa.Uuid, primary_key=True),
        sa.Column("respondent", sa.String(16), primary_key=True),
        sa.Column("template_id", sa.String(64), nullable=False),
        sa.Column("template_version", sa.Integer, nullable=False),
        sa.Column("sent", sa.Integer, nullable=True),
        sa.Column("cases", sa.JSON, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "questionnaire_returns",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("inspection_id", sa.Uuid, nullable=False),
        sa.Column("respondent", sa.String(16), nullable=False),
        sa.Column("template_id", sa.String(64), nullable=False),
        sa.Column("template_version", sa.Integer, nullable=False),
        sa.Column("return_key", sa.String(255), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("case_id", sa.Uuid, nullable=True),
        sa.Column("case_attributes", sa.JSON, nullable=True),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["inspection_id", "respondent"],
            ["questionnaires.inspection_id", "questionnaires.respondent"],
            name="fk_returns_questionnaire",
        ),
        sa.UniqueConstraint("inspection_id", "respondent", "return_key", name="uq_returns_key"),
    )
    op.create_index("ix_returns_listing", "questionnaire_returns", ["inspection_id", "respondent", "received_at", "id"])


def downgrade() -> None:
    op.drop_table("questionnaire_returns")
    op.drop_table("questionnaires")
    op.drop_table("questionnaire_templates")
