"""Inspection teams, case allocation to area assessors, and the append-only audit trail.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from shared.audit import create_audit_table, drop_audit_table
from shared.db import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "team_members",
        sa.Column("inspection_id", sa.Uuid, sa.ForeignKey("inspections.id"), primary_key=True),
        sa.Column("subject", sa.String(255), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("added_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_team_members_subject", "team_members", ["subject"])
    op.create_table(
        "case_allocations",
        sa.Column("case_id", sa.Uuid, sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("inspection_id", sa.Uuid, sa.ForeignKey("inspections.id"), nullable=False),
        sa.Column("assessor", sa.String(255), nullable=False),
        sa.Column("allocated_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_case_allocations_inspection_id", "case_allocations", ["inspection_id"])
    op.create_index("ix_case_allocations_assessor", "case_allocations", ["assessor"])
    create_audit_table()


def downgrade() -> None:
    drop_audit_table()
    op.drop_table("case_allocations")
    op.drop_table("team_members")
