"""Alembic, driven from code: each service's migrations/env.py calls run_env; start-up and `make migrate` call migrate.

Several replicas may start at once: the upgrade runs under a transaction-scoped advisory lock on
PostgreSQL (the write lock on SQLite), so one migrates and the others wait, then find the database at head. A database
at a revision the code does not know (migrated by a newer release) stops start-up.
"""

import asyncio
import hashlib
import logging
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel

logger = logging.getLogger(__name__)
# Advisory locks are per database, so one key serves every service's own database.
_MIGRATION_LOCK = int.from_bytes(hashlib.sha256(b"omi migrations").digest()[:8], "big", signed=True)


class UnknownRevision(RuntimeError):
    """The database was migrated by code newer than this: running on it could corrupt what it holds."""


def _config(script_location: Path, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["connection"] = connection
    return config


async def migrate(engine: AsyncEngine, script_location: Path, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to the newest revision (or to ``revision``), one replica
    at a time, refusing a database migrated by newer code."""

    def upgrade(connection: Connection) -> None:
        command.upgrade(_config(script_location, connection), revision)

    async with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            async with connection.begin():
                if connection.dialect.name == "postgresql":
                    await connection.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _MIGRATION_LOCK})
                await refuse_unknown_revision(connection, script_location)
                await connection.run_sync(upgrade)
            return
        # SQLite changes a column by copying its table (batch mode), and dropping a table that other
        # rows refer to fails while foreign keys are on: they are off during the migrations (outside
        # a transaction, where the pragma takes effect) and checked before the commit.
        await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        await connection.commit()
        try:
            async with connection.begin():
                # The driver runs DDL outside transactions; one begun IMMEDIATE holds the write lock throughout.
                await connection.exec_driver_sql("BEGIN IMMEDIATE")
                await refuse_unknown_revision(connection, script_location)
                await connection.run_sync(upgrade)
                if (await connection.exec_driver_sql("PRAGMA foreign_key_check")).first() is not None:
                    raise RuntimeError("the migrations left rows whose foreign keys refer to nothing")
        finally:
            await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            await connection.commit()


def tables_of(*models: type[SQLModel]) -> MetaData:
    """One service's tables: SQLModel keeps every model of the process in one metadata, and each
    service's database holds only its own (the idempotency records in every one)."""
    metadata = MetaData()
    for model in models:
        table = SQLModel.metadata.tables[str(model.__tablename__)]
        table.to_metadata(metadata)
    return metadata


async def open_database(engine: AsyncEngine, script_location: Path, *, upgrade: bool) -> None:
    """At start-up: migrate (when the service does), and refuse a database newer than the code either way."""
    if upgrade:
        await migrate(engine, script_location)
        return
    try:
        async with engine.connect() as connection:
            await refuse_unknown_revision(connection, script_location)
    except (OSError, DBAPIError) as exc:
        # Unreachable for now: the service starts and /readyz says not ready until it answers.
        logger.warning("database not reachable at start-up: %s", type(exc).__name__)


async def refuse_unknown_revision(connection: AsyncConnection, script_location: Path) -> None:
    revision = await current_revision(connection)
    scripts = ScriptDirectory.from_config(_config(script_location))
    known = {script.revision for script in scripts.walk_revisions()}
    if revision is not None and revision not in known:
        raise UnknownRevision(
            f"the database {connection.engine.url.database!r} is at migration revision {revision!r}, which this code "
            f"does not know (its newest is {scripts.get_current_head()!r}): it was migrated by a newer release. "
            "Run that release, or restore a backup taken before it; this one will not start against it."
        )


def run_env(target_metadata: MetaData | None = None) -> None:
    """Body of every env.py: run migrations on the connection handed over by migrate()."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through shared.migrations.migrate (make migrate), not the alembic CLI")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def migrate_url(url: str, script_location: Path) -> None:
    from shared.db import create_engine

    async def run() -> None:
        engine = create_engine(url)
        try:
            await migrate(engine, script_location)
        finally:
            await engine.dispose()

    asyncio.run(run())


def head_revision(script_location: Path) -> str | None:
    """The newest revision of a service's migrations."""
    return ScriptDirectory.from_config(_config(script_location)).get_current_head()


async def current_revision(connection: AsyncConnection) -> str | None:
    """The revision a database is at (None before the first migration)."""

    def read(sync_connection: Connection) -> str | None:
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(sync_connection).get_current_revision()

    return await connection.run_sync(read)
