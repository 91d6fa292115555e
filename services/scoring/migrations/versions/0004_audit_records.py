"""The append-only audit trail of every write (shared.audit.AuditRecord); in PostgreSQL a trigger refuses
updates and deletes of it, for every role (a superuser's too: emptying it takes TRUNCATE).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
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


def upgrade() -> None:
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


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER audit_records_append_only ON {TABLE}")
        op.execute("DROP FUNCTION audit_records_append_only()")
    op.drop_table(TABLE)
