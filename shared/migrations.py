"""Alembic, driven from code: each service's migrations/env.py calls run_env; start-up and `make migrate` call migrate."""

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel


def _config(script_location: Path, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["connection"] = connection
    return config


async def migrate(engine: AsyncEngine, script_location: Path, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to the newest revision (or to ``revision``)."""

    def upgrade(connection: Connection) -> None:
        command.upgrade(_config(script_location, connection), revision)

    async with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            async with connection.begin():
                await connection.run_sync(upgrade)
            return
        # SQLite changes a column by copying its table (batch mode), and dropping a table that other
        # rows refer to fails while foreign keys are on: they are off during the migrations (outside
        # a transaction, where the pragma takes effect) and checked before the commit.
        await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        await connection.commit()
        try:
            async with connection.begin():
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


def run_env(target_metadata: MetaData) -> None:
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
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config(script_location)).get_current_head()


async def current_revision(connection: AsyncConnection) -> str | None:
    """The revision a database is at (None before the first migration)."""

    def read(sync_connection: Connection) -> str | None:
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(sync_connection).get_current_revision()

    return await connection.run_sync(read)
