"""Engines and the session-per-request dependency (commit or rollback in the dependency, never in services)."""

import logging
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import orjson
from fastapi import Depends, Request
from sqlalchemy import DateTime, Dialect, Table, Update, event
from sqlalchemy.engine import CursorResult, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator
from tenacity import retry, retry_if_exception, stop_after_delay, wait_random_exponential

from shared.errors import NotFound, PreconditionFailed

T = TypeVar("T")


# JSON columns (answers, documents) are decoded on every bulk read: orjson is several times faster.
# Statement parameters hold free text, answers and evidence: never in a log line or an error's message.
_JSON = {
    "json_serializer": lambda value: orjson.dumps(value).decode(),
    "json_deserializer": orjson.loads,
    "hide_parameters": True,
}


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # aiosqlite's DEBUG lines repeat every statement's parameters (free text among them).
        logging.getLogger("aiosqlite").setLevel(max(logging.INFO, logging.getLogger("aiosqlite").level))
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Sessions and connections end their own transactions; skipping the pool's extra rollback
        # saves a thread round trip per request on aiosqlite.
        engine = create_async_engine(url, connect_args={"timeout": 30}, pool_reset_on_return=None, **_JSON)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: object) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode")
            # WAL is kept in the file: only a new database's first connections switch it.
            if cursor.fetchone() != ("wal",):
                _enter_wal(cursor)
            cursor.close()

        return engine
    # No pool_pre_ping: its round trip on every checkout cost each request as much as a statement. A database
    # restart is met without it: a connection the server closed is replaced at checkout (below, no statement
    # has run on it), and one that breaks under a statement invalidates the whole pool (SQLAlchemy's
    # is_disconnect), so the next requests connect afresh; that one request is answered 502 (shared.problems).
    # The pool keeps as many connections as a loaded process uses at once (16 and more under load): with 10 kept,
    # each burst past them connected anew and prepared every statement again (≈ 6% of a PUT's CPU behind the gateway).
    engine = create_async_engine(url, pool_size=24, max_overflow=16, **_JSON)
    event.listen(engine.sync_engine, "checkout", _replace_closed)
    return engine


def _replace_closed(dbapi_connection: Any, _record: object, _proxy: object) -> None:
    """asyncpg notices by itself a socket the server closed (restart, failover, terminated backend): such a
    pooled connection is refused at checkout, and the pool tries another, connecting anew if need be."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


# Switching the journal takes the file's exclusive lock without waiting on the busy timeout:
# replicas opening a new database together retry until one of them has switched it.
@retry(
    retry=retry_if_exception(lambda exc: isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)),
    wait=wait_random_exponential(multiplier=0.01, max=0.5),
    stop=stop_after_delay(30),
    reraise=True,
)
def _enter_wal(cursor: Any) -> None:
    cursor.execute("PRAGMA journal_mode=WAL")


def table_of(model: type[Any]) -> Table:
    """A model's table, for the write paths' SQL statements (no ORM objects there)."""
    return cast(Table, model.__table__)


def sessionmaker(
    engine: AsyncEngine, session_class: type[Session] = Session, info: dict[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep their objects after a commit; ``info`` is copied into each one's ``info``."""
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=session_class, info=info)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request: committed when the endpoint returns, rolled back when it raises.

    Used with ``Depends(get_session, scope="function")`` so the commit happens before the
    response is sent: a client never sees success for a write that did not commit.
    """
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_or_404(session: AsyncSession, model: type[T], key: object, what: str) -> T:
    """The row with this primary key, or a 404 problem naming ``what`` was looked for."""
    row = await session.get(model, key)
    if row is None:
        raise NotFound(f"{what} does not exist")
    return row


async def update_one(session: AsyncSession, statement: Update, changed_meanwhile: str) -> None:
    """Run an UPDATE guarded by the version last read: of two concurrent writers one wins, and the other's
    statement matches no row, PreconditionFailed (``changed_meanwhile`` says what changed)."""
    result = cast(CursorResult[Any], await session.execute(statement.execution_options(synchronize_session=False)))
    if result.rowcount != 1:
        raise PreconditionFailed(changed_meanwhile)
