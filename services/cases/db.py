"""Where the cases service's Alembic migrations live."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
