"""A statement sent straight to asyncpg (shared.driver_sql) answers as SQLAlchemy would, only where the session has
no transaction to be part of: in a held transaction it goes through SQLAlchemy and rolls back with it. Its failures
are SQLAlchemy's exceptions (a unique violation, a broken connection), and with SQL spans on it has its span."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import bindparam, event, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.cases import models
from shared import driver_sql, writing_ctes
from shared.db import utcnow
from tests.conftest import Stack, plan_inspection
from tests.helpers import LICENCE_CASE, terminate_backend

_I = models.INSPECTIONS.c
_READ = driver_sql.Statement(
    select(_I.id, _I.area, _I.sample_mix, (_I.sample_revision + 7).label("later")).where(_I.id == bindparam("id"))
)
_RENAME = driver_sql.Statement(
    update(models.INSPECTIONS).where(_I.id == bindparam("of_id")).values(area=bindparam("new_area")).returning(_I.id)
)
_BACKEND = driver_sql.Statement(select(func.pg_backend_pid().label("pid")))


@pytest.fixture
def postgres(stack: Stack) -> Stack:
    if stack.backend != "postgresql":
        pytest.skip("asyncpg's statements: PostgreSQL only (SQLite's run through SQLAlchemy, as every test shows)")
    return stack


@contextmanager
def sqlalchemy_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The statements SQLAlchemy itself sends while the block runs."""
    sent: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)


async def _inspection(gw: httpx.AsyncClient) -> uuid.UUID:
    return uuid.UUID((await plan_inspection(gw))["id"])


async def test_a_statement_alone_goes_to_the_driver_and_answers_as_sqlalchemy(postgres: Stack, gw: httpx.AsyncClient) -> None:
    inspection_id = await _inspection(gw)
    cases = postgres.apps["cases"].state
    async with cases.sessionmaker() as through_sqlalchemy:
        expected = dict(await driver_sql.one(through_sqlalchemy, _READ, {"id": inspection_id}))
    with sqlalchemy_statements(cases.engine) as sent:
        async with cases.sessionmaker() as alone:
            await writing_ctes.reads_alone(alone)
            found = dict(await driver_sql.one(alone, _READ, {"id": inspection_id}))
            missing = await driver_sql.one_or_none(alone, _READ, {"id": uuid.uuid4()})
    assert found == expected and missing is None
    assert found["later"] == 7 and found["sample_mix"] == expected["sample_mix"] != {}  # a constant, a JSON column
    assert not [s for s in sent if "inspections" in s], "the read went to asyncpg, not through SQLAlchemy"


async def test_in_a_held_transaction_the_statement_rolls_back_with_it(postgres: Stack, gw: httpx.AsyncClient) -> None:
    inspection_id = await _inspection(gw)
    cases = postgres.apps["cases"].state

    async def area() -> str:
        async with cases.engine.connect() as other:
            return str(await other.scalar(select(_I.area).where(_I.id == inspection_id)))

    async with cases.sessionmaker() as session:
        await writing_ctes.reads_alone(session)
        await writing_ctes.hold_transaction(session)
        await driver_sql.one(session, _RENAME, {"of_id": inspection_id, "new_area": "Held"})
        await session.rollback()
    assert await area() == "West Midlands", "the held write went with its transaction"
    async with cases.sessionmaker() as session:
        await writing_ctes.reads_alone(session)
        await driver_sql.one(session, _RENAME, {"of_id": inspection_id, "new_area": "Alone"})
        assert await area() == "Alone", "a statement alone commits as it runs"


async def test_a_unique_violation_is_sqlalchemys_integrity_error(postgres: Stack, gw: httpx.AsyncClient) -> None:
    inspection_id = await _inspection(gw)
    case = {"id": uuid.uuid4(), "inspection_id": inspection_id, "revision": 1, "created_at": utcnow()}
    case |= {k: v for k, v in LICENCE_CASE.items() if k in models.CASES.c}
    create = driver_sql.Statement(insert(models.CASES).returning(models.CASES.c.id))
    async with postgres.apps["cases"].state.sessionmaker() as session:
        await writing_ctes.reads_alone(session)
        await driver_sql.one(session, create, case)
        with pytest.raises(IntegrityError) as raised:
            await driver_sql.one(session, create, case | {"id": uuid.uuid4()})  # the same reference
    assert getattr(raised.value.orig, "sqlstate", None) == "23505"
    second = await gw.post(f"/api/v1/inspections/{inspection_id}/cases", json=LICENCE_CASE)
    assert second.status_code == 409 and second.json()["type"].endswith("duplicate-reference"), second.text


async def test_a_connection_broken_under_a_statement_is_invalidated(postgres: Stack) -> None:
    cases = postgres.apps["cases"].state
    async with cases.sessionmaker() as session:
        await writing_ctes.reads_alone(session)
        pid = (await driver_sql.one(session, _BACKEND, {}))["pid"]
        await terminate_backend(cases.engine, pid)
        with pytest.raises(DBAPIError) as raised:
            await driver_sql.one(session, _BACKEND, {})
        assert raised.value.connection_invalidated
        assert (await session.connection()).invalidated, "not given back to the pool as if it were whole"
    async with cases.sessionmaker() as session:
        await writing_ctes.reads_alone(session)
        assert (await driver_sql.one(session, _BACKEND, {}))["pid"] != pid, "a new connection, and no error"


async def test_with_sql_spans_on_the_statement_has_its_span(postgres: Stack, gw: httpx.AsyncClient) -> None:
    inspection_id = await _inspection(gw)
    created = await gw.post(f"/api/v1/inspections/{inspection_id}/cases", json=LICENCE_CASE)
    assert created.status_code == 201, created.text
    inserts = [
        s
        for s in postgres.spans.get_finished_spans()
        if s.resource.attributes["service.name"] == "cases"
        and "INSERT INTO cases" in str((s.attributes or {}).get("db.statement"))
    ]
    assert len(inserts) == 1 and inserts[0].name.startswith("WITH ")
    assert inserts[0].parent is not None and (inserts[0].attributes or {})["db.system"] == "postgresql"


async def test_a_column_whose_values_sqlalchemy_converts_is_refused(postgres: Stack) -> None:
    """The driver's values come back as they are: a UTC time column's would not be SQLAlchemy's."""
    async with postgres.apps["cases"].state.sessionmaker() as session:
        session_alone: AsyncSession = session
        await writing_ctes.reads_alone(session_alone)
        with pytest.raises(TypeError, match="created_at"):
            await driver_sql.one_or_none(session_alone, driver_sql.Statement(select(_I.created_at)), {})
