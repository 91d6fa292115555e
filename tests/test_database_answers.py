"""What a request hears when PostgreSQL cancels its statement (a statement timeout, an operator's cancel): the
database's refusal of the moment, 503 with Retry-After, not a 500; the transaction is rolled back whole."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

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

    transport = httpx.ASGITransport(app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
            yield client
    finally:
        await engine.dispose()


async def test_a_statement_the_database_cancelled_is_503_with_retry_after(client: httpx.AsyncClient) -> None:
    answer = await client.post("/slow")
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON and answer.headers["retry-after"] == "1"
    assert answer.json()["type"] == "urn:omi:problem:service-unavailable" and "cancelled" in answer.json()["detail"]
