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
from sqlalchemy.ext.asyncio import AsyncEngine

from services.cases import models
from shared import driver_sql, writing_ctes
from shared.db import sessionmaker, utcnow
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
        expected = await driver_sql.one(through_sqlalchemy, _READ, {"id": inspection_id})
    untraced = sessionmaker(cases.engine)  # no tracer in its sessions' info: the production default
    for made in (cases.sessionmaker, untraced):
        postgres.spans.clear()
        with sqlalchemy_statements(cases.engine) as sent:
            async with made() as alone:
                await writing_ctes.reads_alone(alone)
                found = await driver_sql.one(alone, _READ, {"id": inspection_id})
                missing = await driver_sql.one_or_none(alone, _READ, {"id": uuid.uuid4()})
        assert found == expected and missing is None
        assert found["later"] == 7 and found["sample_mix"] == expected["sample_mix"] != {}  # a constant, a JSON column
        assert not [s for s in sent if "inspections" in s], "the reads went to asyncpg, not through SQLAlchemy"
        traced = [
            s for s in postgres.spans.get_finished_spans() if "inspections" in str((s.attributes or {}).get("db.statement"))
        ]
        assert len(traced) == (2 if made is cases.sessionmaker else 0), "a span each where SQL spans are on, else none"


async def test_in_a_transaction_the_statement_goes_with_it(postgres: Stack, gw: httpx.AsyncClient) -> None:
    """Held (an Idempotency-Key's), or begun again after the session's commit: rolled back with it."""
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
        await session.commit()  # the next statement begins a transaction on a connection of the pool's
        await driver_sql.one(session, _RENAME, {"of_id": inspection_id, "new_area": "After the commit"})
        await session.rollback()
    assert await area() == "Alone", "after the session's commit the write went with its new transaction"


async def test_a_unique_violation_is_sqlalchemys_integrity_error(postgres: Stack, gw: httpx.AsyncClient) -> None:
    inspection_id = await _inspection(gw)
    case = {"id": uuid.uuid4(), "inspection_id": inspection_id, "revision": 1, "created_at": utcnow()}
    case |= {k: v for k, v in LICENCE_CASE.items() if k in models.CASES.c}
    create = driver_sql.Statement(insert(models.CASES).returning(models.CASES.c.id))
    cases = postgres.apps["cases"].state
    with sqlalchemy_statements(cases.engine) as sent:
        async with cases.sessionmaker() as session:
            await writing_ctes.reads_alone(session)
            await driver_sql.one(session, create, case)
            with pytest.raises(IntegrityError) as raised:
                await driver_sql.one(session, create, case | {"id": uuid.uuid4()})  # the same reference
    assert not [s for s in sent if "INSERT INTO cases" in s], "both inserts went to asyncpg"
    assert getattr(raised.value.orig, "sqlstate", None) == "23505"
    assert "DETAIL" not in str(raised.value) and LICENCE_CASE["reference"] not in str(raised.value), "no row's values"
    second = await gw.post(f"/api/v1/inspections/{inspection_id}/cases", json=LICENCE_CASE)
    assert second.status_code == 409 and second.json()["type"].endswith("duplicate-reference"), second.text


async def test_a_connection_broken_under_a_statement_invalidates_the_pool(postgres: Stack) -> None:
    cases = postgres.apps["cases"].state
    async with cases.engine.connect() as one, cases.engine.connect() as other:  # two pooled connections
        pooled = [int(await c.scalar(select(func.pg_backend_pid()))) for c in (one, other)]
    with sqlalchemy_statements(cases.engine) as sent:
        async with cases.sessionmaker() as session:
            await writing_ctes.reads_alone(session)
            pid = (await driver_sql.one(session, _BACKEND, {}))["pid"]
            await terminate_backend(cases.engine, pid)
            with pytest.raises(DBAPIError) as raised:
                await driver_sql.one(session, _BACKEND, {})
            assert raised.value.connection_invalidated
            assert (await session.connection()).invalidated, "not given back to the pool as if it were whole"
    assert not [s for s in sent if "pg_backend_pid" in s], "the statements went to asyncpg"
    async with cases.sessionmaker() as session:
        await writing_ctes.reads_alone(session)
        fresh = (await driver_sql.one(session, _BACKEND, {}))["pid"]
    assert fresh != pid and fresh not in pooled, "every older connection was dropped with the pool"


async def test_with_sql_spans_on_the_statement_has_sqlalchemys_span(postgres: Stack, gw: httpx.AsyncClient) -> None:
    inspection_id = await _inspection(gw)
    created = await gw.post(f"/api/v1/inspections/{inspection_id}/cases", json=LICENCE_CASE)
    assert created.status_code == 201, created.text
    statements = [
        s
        for s in postgres.spans.get_finished_spans()
        if s.resource.attributes["service.name"] == "cases" and "db.statement" in (s.attributes or {})
    ]
    inserts = [s for s in statements if "INSERT INTO cases" in str((s.attributes or {})["db.statement"])]
    assert len(inserts) == 1 and inserts[0].name == "WITH" and inserts[0].parent is not None
    through_sqlalchemy = [s for s in statements if "INSERT INTO inspections" in str((s.attributes or {})["db.statement"])]
    assert through_sqlalchemy, "the inspection's insert (the ORM's) is SQLAlchemy's span to compare with"
    assert set(inserts[0].attributes or {}) == set(through_sqlalchemy[0].attributes or {})


def test_a_statement_the_driver_would_run_otherwise_than_sqlalchemy_is_refused_when_made() -> None:
    with pytest.raises(TypeError, match="created_at"):  # a UTC time: SQLAlchemy converts the driver's value
        driver_sql.Statement(select(_I.created_at))
    with pytest.raises(TypeError, match="created_at"):  # the same in a RETURNING
        driver_sql.Statement(update(models.INSPECTIONS).values(area=bindparam("new_area")).returning(_I.created_at))
    with pytest.raises(TypeError, match="expanded"):
        driver_sql.Statement(select(_I.id).where(_I.id.in_(bindparam("ids", expanding=True))))
    with pytest.raises(TypeError, match="computed per call"):
        driver_sql.Statement(select(_I.id).where(_I.version == bindparam("v", callable_=lambda: 1)))
    with pytest.raises(TypeError, match="Python-side default"):  # the id and times the model fills in
        driver_sql.Statement(insert(models.INSPECTIONS).values(area=bindparam("new_area")).returning(_I.version))
