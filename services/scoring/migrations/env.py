"""Alembic environment of the scoring service: its migrations, checked against its tables."""

from services.scoring.models import TABLES
from shared.migrations import run_env

run_env(TABLES)
