"""Alembic environment of the questionnaires service: its migrations, checked against its tables."""

from services.questionnaires.models import TABLES
from shared.migrations import run_env

run_env(TABLES)
