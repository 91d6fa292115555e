"""Every service's migrations, run on a fresh database, build exactly the tables its models describe."""

import ast
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from services.cases import db as cases_db
from services.cases import models as cases_models
from services.questionnaires import db as questionnaires_db
from services.questionnaires import models as questionnaires_models
from services.reporting import db as reporting_db
from services.reporting import models as reporting_models
from services.scoring import db as scoring_db
from services.scoring import models as scoring_models
from shared.db import create_engine
from shared.migrations import current_revision, head_revision, migrate
from tests.conftest import SERVICES, backends, create_postgres_databases, drop_postgres_databases

MIGRATIONS: dict[str, tuple[Path, ModuleType]] = {
    "cases": (cases_db.MIGRATIONS, cases_models),
    "questionnaires": (questionnaires_db.MIGRATIONS, questionnaires_models),
    "scoring": (scoring_db.MIGRATIONS, scoring_models),
    "reporting": (reporting_db.MIGRATIONS, reporting_models),
}


@pytest.fixture(scope="module", params=backends())
async def fresh_databases(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict]:
    """One empty database per service, never migrated before (not the shared stack's)."""
    run = uuid.uuid4().hex[:8]
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp(f"migrations-{run}")
        yield {service: f"sqlite+aiosqlite:///{folder / service}.db" for service in SERVICES}
        return
    urls = await create_postgres_databases(f"mig_{run}")
    try:
        yield urls
    finally:
        await drop_postgres_databases(urls)


def differences(connection: Connection, tables: MetaData) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": False})
    return compare_metadata(context, tables)


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_build_the_models_tables(fresh_databases: dict[str, str], service: str) -> None:
    migrations, models = MIGRATIONS[service]
    engine = create_engine(fresh_databases[service])
    try:
        await migrate(engine, migrations)
        async with engine.connect() as connection:
            assert await current_revision(connection) == head_revision(migrations)
            diff = await connection.run_sync(differences, models.TABLES)
        assert diff == [], f"{service}: the migrations at head and the models differ: {diff}"
    finally:
        await engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
def test_every_model_of_a_service_is_among_its_tables(service: str) -> None:
    """A model left out of TABLES would be checked against nothing."""
    _, models = MIGRATIONS[service]
    defined = {
        value.__tablename__
        for value in vars(models).values()
        if isinstance(value, type) and issubclass(value, SQLModel) and hasattr(value, "__table__")
    }
    assert defined and defined == set(models.TABLES.tables)


@pytest.mark.parametrize("service", SERVICES)
def test_released_migrations_import_only_alembic_and_sqlalchemy(service: str) -> None:
    """A migration is frozen once released: code it imported could change under it."""
    migrations, _ = MIGRATIONS[service]
    for path in sorted((migrations / "versions").glob("*.py")):
        tree = ast.parse(path.read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert {name.split(".")[0] for name in imported} <= {"alembic", "sqlalchemy"}, f"{path.name} imports {imported}"
