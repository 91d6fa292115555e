"""Inspections, cases, assessments with history, idempotency records.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

# A migration is frozen once released: it spells out its columns (UTC datetimes are DateTime(timezone=True),
# what shared.db.UtcDateTime stores) rather than import code that may change.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inspections",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("area", sa.String(200), nullable=False),
        sa.Column("country", sa.String(16), nullable=False),
        sa.Column("fieldwork_start", sa.Date, nullable=False),
        sa.Column("fieldwork_end", sa.Date, nullable=False),
        sa.Column("framework_id", sa.String(64), nullable=False),
        sa.Column("framework_version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("sample_mix", sa.JSON, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_inspections_created_at_id", "inspections", ["created_at", "id"])
    op.create_table(
        "cases",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("inspection_id", sa.Uuid, sa.ForeignKey("inspections.id"), nullable=False, index=True),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("case_type", sa.String(16), nullable=False),
        sa.Column("roh_level", sa.String(16), nullable=False),
        sa.Column("tier", sa.Integer, nullable=False),
        sa.Column("ppo", sa.Boolean, nullable=False),
        sa.Column("approved_premises", sa.Boolean, nullable=False),
        sa.Column("statutory_victim_contact", sa.Boolean, nullable=False),
        sa.Column("gender", sa.String(16), nullable=False),
        sa.Column("ethnicity", sa.String(16), nullable=False),
        sa.Column("assessor_role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("inspection_id", "reference", name="uq_cases_inspection_reference"),
    )
    op.create_table(
        "assessments",
        sa.Column("case_id", sa.Uuid, sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("inspection_id", sa.Uuid, sa.ForeignKey("inspections.id"), nullable=False, index=True),
        sa.Column("framework_id", sa.String(64), nullable=False),
        sa.Column("framework_version", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("assessor", sa.String(200), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "assessment_versions",
        sa.Column("case_id", sa.Uuid, sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("assessor", sa.String(200), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "idempotency_records",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("scope", sa.String(512), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=False),
        sa.Column("response_body", sa.Text, nullable=False),
        sa.Column("response_headers", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("idempotency_records", "assessment_versions", "assessments", "cases", "inspections"):
        op.drop_table(table)
