"""Alembic environment of the reporting service: its migrations, checked against its tables."""

from services.reporting.models import TABLES
from shared.migrations import run_env

run_env(TABLES)
