"""Inspection teams, case allocation to area assessors, and the append-only audit trail.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Frozen once released: UTC datetimes spelt out as DateTime(timezone=True), what shared.db.UtcDateTime stores.
TABLE = "audit_records"
REFUSE = (
    """CREATE FUNCTION audit_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_records is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$""",
    """CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_records_append_only()""",
    "REVOKE UPDATE, DELETE, TRUNCATE ON audit_records FROM PUBLIC",
)


def _create_audit_table() -> None:
    op.create_table(
        TABLE,
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(255)),
        sa.Column("role", sa.String(32)),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(255)),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("operation", sa.String(64)),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("inspection_id", sa.Uuid),
        sa.Column("request_id", sa.String(128)),
        sa.Column("trace_id", sa.String(32)),
    )
    for column in ("at", "actor", "entity", "inspection_id"):
        op.create_index(f"ix_{TABLE}_{column}", TABLE, [column])
    if op.get_bind().dialect.name == "postgresql":
        for statement in REFUSE:  # asyncpg takes one statement at a time
            op.execute(statement)


def _drop_audit_table() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER audit_records_append_only ON {TABLE}")
        op.execute("DROP FUNCTION audit_records_append_only()")
    op.drop_table(TABLE)


def upgrade() -> None:
    op.create_table(
        "team_members",
        sa.Column("inspection_id", sa.Uuid, sa.ForeignKey("inspections.id"), primary_key=True),
        sa.Column("subject", sa.String(255), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_team_members_subject", "team_members", ["subject"])
    op.create_table(
        "case_allocations",
        sa.Column("case_id", sa.Uuid, sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("inspection_id", sa.Uuid, sa.ForeignKey("inspections.id"), nullable=False),
        sa.Column("assessor", sa.String(255), nullable=False),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_case_allocations_inspection_id", "case_allocations", ["inspection_id"])
    op.create_index("ix_case_allocations_assessor", "case_allocations", ["assessor"])
    _create_audit_table()


def downgrade() -> None:
    _drop_audit_table()
    op.drop_table("case_allocations")
    op.drop_table("team_members")
