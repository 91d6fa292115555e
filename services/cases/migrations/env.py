"""Alembic environment of the cases service: its migrations, checked against its tables."""

from services.cases.models import TABLES
from shared.migrations import run_env

run_env(TABLES)
