"""The pool meets a database restart without a ping per checkout: connections the server closed are replaced
before any statement runs on them, and a connection broken under a statement invalidates the pool.

The server's closing of a backend is what a restart does to every pooled connection; here it is one backend of
the test's own, terminated by pid, so the shared server is not restarted (tests/test_faults.py does, in CI)."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import create_engine
from tests.conftest import POSTGRES_URL
from tests.helpers import terminate_backend

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL only: OMI_TEST_POSTGRES_URL")


async def _backend_of(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(text("SELECT pg_backend_pid()")))


async def test_a_pooled_connection_the_server_closed_is_replaced_before_a_statement_runs() -> None:
    assert POSTGRES_URL is not None
    engine, admin = create_engine(POSTGRES_URL), create_engine(POSTGRES_URL)
    try:
        first = await _backend_of(engine)
        await terminate_backend(admin, first)
        assert await _backend_of(engine) != first, "a new connection, and no error"
    finally:
        await engine.dispose()
        await admin.dispose()


async def test_a_connection_broken_under_a_statement_invalidates_the_pool() -> None:
    assert POSTGRES_URL is not None
    engine, admin = create_engine(POSTGRES_URL), create_engine(POSTGRES_URL)
    try:
        async with engine.connect() as one, engine.connect() as other:  # two pooled connections
            pids = [int(await c.scalar(text("SELECT pg_backend_pid()"))) for c in (one, other)]
        async with engine.connect() as connection:
            mine = int(await connection.scalar(text("SELECT pg_backend_pid()")))
            await terminate_backend(admin, mine)
            with pytest.raises(DBAPIError) as broken:
                await connection.execute(text("SELECT 1"))
            assert broken.value.connection_invalidated
        assert await _backend_of(engine) not in pids, "every older connection was dropped with the pool"
    finally:
        await engine.dispose()
        await admin.dispose()
