from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
