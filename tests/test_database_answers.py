"""What a request hears when PostgreSQL cancels its statement (a statement timeout, an operator's cancel): the
database's refusal of the moment, 503 with Retry-After, not a 500; the transaction is rolled back whole."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Column, MetaData, Table, Text, func, insert, select, text

from shared.bulk_insert import COPY_FROM, insert_rows
from shared.db import create_engine
from shared.problems import PROBLEM_JSON, install_problem_handlers
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL only: OMI_TEST_POSTGRES_URL")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    assert POSTGRES_URL is not None
    engine = create_engine(POSTGRES_URL)
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/slow")
    async def slow() -> dict[str, str]:
        async with engine.begin() as connection:
            await connection.execute(text("SET LOCAL statement_timeout = 20"))
            await connection.execute(text("SELECT pg_sleep(2)"))
        return {"status": "done"}

    # A bulk import's COPY, cancelled: every row's check takes 50 ms, the statement may take 100.
    table = Table(f"slow_rows_{uuid.uuid4().hex[:8]}", MetaData(), Column("value", Text))
    async with engine.begin() as connection:
        await connection.execute(text(f"CREATE TABLE {table.name} (value text CHECK (pg_sleep(0.05)::text = ''))"))

    @app.post("/slow-copy")
    async def slow_copy() -> dict[str, str]:
        async with engine.begin() as connection:
            await connection.execute(insert(table).values(value="written before"))
            await connection.execute(text("SET LOCAL statement_timeout = 100"))
            await insert_rows(connection, table, [{"value": f"row {n}"} for n in range(COPY_FROM)])
        return {"status": "done"}

    @app.get("/slow-copy")
    async def rows() -> dict[str, int]:
        async with engine.connect() as connection:
            return {"rows": (await connection.execute(select(func.count()).select_from(table))).scalar_one()}

    transport = httpx.ASGITransport(app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
            yield client
    finally:
        async with engine.begin() as connection:
            await connection.execute(text(f"DROP TABLE {table.name}"))
        await engine.dispose()


async def test_a_statement_the_database_cancelled_is_503_with_retry_after(client: httpx.AsyncClient) -> None:
    answer = await client.post("/slow")
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON and answer.headers["retry-after"] == "1"
    assert answer.json()["type"] == "urn:omi:problem:service-unavailable" and "cancelled" in answer.json()["detail"]


async def test_a_cancelled_copy_is_503_and_its_transaction_rolled_back_whole(client: httpx.AsyncClient) -> None:
    answer = await client.post("/slow-copy")
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "1" and "cancelled" in answer.json()["detail"]
    assert (await client.get("/slow-copy")).json() == {"rows": 0}  # the row written before the COPY is gone too
