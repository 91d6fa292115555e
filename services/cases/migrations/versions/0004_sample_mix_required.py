"""Every inspection has a sample mix: rows without one get the standard mix, and the column is NOT NULL.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The standard mix as it stood when this migration was written (shared.schemas.sampling.SampleMix()),
# written out so that a later change to the live default cannot change what this migration does.
STANDARD_MIX = {
    "case_types": {"licence": 40, "community": 60, "custody": 10},
    "min_total": 110,
    "max_total": 120,
    "minimums": {"high_roh": 30, "ppo": 10, "approved_premises": 5, "statutory_victim_contact": 15, "minority_ethnic": 15},
    "female_tolerance": 2,
}


def upgrade() -> None:
    inspections = sa.table("inspections", sa.column("sample_mix", sa.JSON))
    # A JSON column takes Python's None as the JSON null, not SQL NULL: both mean "no mix".
    missing = sa.or_(inspections.c.sample_mix.is_(None), sa.cast(inspections.c.sample_mix, sa.Text) == "null")
    op.execute(inspections.update().where(missing).values(sample_mix=STANDARD_MIX))
    with op.batch_alter_table("inspections") as batch:
        batch.alter_column("sample_mix", existing_type=sa.JSON, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("inspections") as batch:
        batch.alter_column("sample_mix", existing_type=sa.JSON, nullable=True)
