"""Revisions of questionnaires and their returns: what a summary kept at one revision reads to catch up.

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
    op.add_column("questionnaires", sa.Column("revision", sa.Integer, nullable=False, server_default="0"))
    op.add_column("questionnaire_returns", sa.Column("revision", sa.Integer, nullable=False, server_default="0"))
    op.create_index("ix_returns_revision", "questionnaire_returns", ["inspection_id", "respondent", "revision"])


def downgrade() -> None:
    op.drop_index("ix_returns_revision", "questionnaire_returns")
    with op.batch_alter_table("questionnaire_returns") as batch:
        batch.drop_column("revision")
    with op.batch_alter_table("questionnaires") as batch:
        batch.drop_column("revision")
