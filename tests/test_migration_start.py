"""Migrations at start-up: replicas starting together migrate once; a database newer than the code stops start-up."""

import asyncio
import uuid
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from services.cases.app import create_app as create_cases
from services.cases.db import MIGRATIONS as CASES
from services.cases.settings import CasesSettings
from services.scoring.db import MIGRATIONS as SCORING
from shared.db import create_engine
from shared.migrations import UnknownRevision, current_revision, head_revision, migrate
from tests.conftest import POSTGRES_URL, backends

REPLICAS = 6


@pytest.fixture(params=backends())
async def fresh_database(request: pytest.FixtureRequest, tmp_path: Path):
    """The URL of one empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/fresh.db"
        return
    assert POSTGRES_URL is not None
    name = f"omi_test_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def test_replicas_starting_together_migrate_once(fresh_database: str) -> None:
    engines = [create_engine(fresh_database) for _ in range(REPLICAS)]
    try:
        # Each replica has its own engine (its own connections), all upgrading at the same moment.
        # A task group, so one replica's failure stops the others rather than leaving them migrating
        # into the next test.
        async with asyncio.timeout(60), asyncio.TaskGroup() as replicas:  # without the lock, upgrades can block for good
            for engine in engines:
                replicas.create_task(migrate(engine, SCORING))
        async with engines[0].connect() as connection:
            assert await current_revision(connection) == head_revision(SCORING)
            rows = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert rows == [(head_revision(SCORING),)]
    finally:
        for engine in engines:
            await engine.dispose()


@pytest.mark.parametrize("migrate_on_start", [True, False])
async def test_a_database_newer_than_the_code_stops_start_up(fresh_database: str, migrate_on_start: bool) -> None:
    engine = create_engine(fresh_database)
    try:
        await migrate(engine, CASES)
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = 'from_the_future'"))
    finally:
        await engine.dispose()
    app = create_cases(CasesSettings(database_url=fresh_database, migrate_on_start=migrate_on_start))
    with pytest.raises(UnknownRevision, match="'from_the_future', which this code does not know"):
        async with LifespanManager(app):
            pass
    # Nothing was changed: the database keeps the newer release's revision.
    engine = create_engine(fresh_database)
    try:
        async with engine.connect() as connection:
            assert await current_revision(connection) == "from_the_future"
    finally:
        await engine.dispose()
