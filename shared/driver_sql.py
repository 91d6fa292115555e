"""A hot path's Core statement run straight on PostgreSQL's driver (asyncpg), compiled once: past SQLAlchemy's
execution (its execution context, parameter and result processing, cursor wrapping and greenlet hops), which
cost the assessment PUT's two statements 0.22 ms of the cases service's CPU in all, a tenth of the request.

Only on a connection in autocommit (a session without a transaction: shared.writing_ctes), read off the
connection itself: there each statement commits by itself whichever way it is sent, so the session and the
driver cannot disagree about a transaction. Anywhere else (SQLite, a held transaction, a session that has
committed and begun again) the same statement goes through SQLAlchemy. Either way the answer is the row as a dict
(for statements of at most one row: a write's answer, a read by key), a failure is the exception SQLAlchemy
raises for it (translated by its dialect: a unique violation IntegrityError, a broken connection a DBAPIError
with the connection and the pool invalidated), and with ``trace_sql`` the statement has the span SQLAlchemy's
instrumentation gives one. Statements are prepared in asyncpg's own cache (its ``statement_cache_size``)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, cast
from weakref import WeakKeyDictionary

from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from sqlalchemy import Dialect, Executable
from sqlalchemy.dialects.postgresql import asyncpg as postgresql_asyncpg
from sqlalchemy.exc import DBAPIError, NoResultFound, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

# In a session's info (shared.service's sessionmaker): the tracer of its SQL spans, where they are on.
TRACER = "omi.statement_tracer"
# The dialect a statement is checked against when it is made (the running one's compiles it again, with its own
# JSON serialiser in the bind processors).
_CHECKING: Dialect = cast(Callable[[], Dialect], postgresql_asyncpg.dialect)()


@dataclass(frozen=True)
class _ForDriver:
    sql: str
    names: tuple[str, ...]  # the parameters in the order of $1, $2, ...
    processors: tuple[Callable[[Any], Any] | None, ...]
    constants: Mapping[str, Any]  # the statement's own literal values (a + 1, a status compared with)

    @property
    def operation(self) -> str:
        """The statement's first word: its span's name, as SQLAlchemy's instrumentation names it."""
        return self.sql.split(None, 1)[0]

    def values(self, params: Mapping[str, Any]) -> list[Any]:
        given = {**self.constants, **params}
        missing = [name for name in self.names if name not in given]
        if missing:
            raise StatementError(f"A value is required for bind parameter {missing[0]!r}", self.sql, None, None)
        return [given[n] if p is None else p(given[n]) for n, p in zip(self.names, self.processors, strict=True)]


class Statement:
    """A Core statement, compiled for the driver the first time a dialect runs it (and once at import, so a
    statement the driver could not run as SQLAlchemy would is refused there)."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: WeakKeyDictionary[Dialect, _ForDriver] = WeakKeyDictionary()
        _compile(cast(ClauseElement, statement), _CHECKING)

    def for_driver(self, dialect: Dialect) -> _ForDriver:
        compiled = self._compiled.get(dialect)
        if compiled is None:
            compiled = self._compiled[dialect] = _compile(cast(ClauseElement, self.statement), dialect)
        return compiled


def _compile(statement: ClauseElement, dialect: Dialect) -> _ForDriver:
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
    # What SQLAlchemy would do around the SQL itself, which the driver would not: Python-side defaults, IN lists
    # expanded per call, values computed per call, results converted.
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise TypeError("a column left to a Python-side default: give every value; run it through SQLAlchemy")
    if compiled.post_compile_params or compiled.literal_execute_params:
        raise TypeError("a parameter expanded per call (IN a list): run it through SQLAlchemy")
    binds = compiled.binds
    if any(bind.callable is not None for bind in binds.values()):
        raise TypeError("a parameter computed per call (bindparam's callable_): run it through SQLAlchemy")
    for column in getattr(statement, "exported_columns", ()):
        if column.type.dialect_impl(dialect).result_processor(dialect, None) is not None:
            raise TypeError(f"column {column.name!r} needs SQLAlchemy's result processing; run it through SQLAlchemy")
    names = tuple(compiled.positiontup or ())
    processors = tuple(binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names)
    constants = {name: bind.effective_value for name, bind in binds.items() if not bind.required}
    return _ForDriver(str(compiled), names, processors, MappingProxyType(constants))


async def one_or_none(session: AsyncSession, statement: Statement, params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The statement's one row (None if it returned none), run on the session's connection."""
    connection = await session.connection()
    raw = await connection.get_raw_connection() if connection.dialect.driver == "asyncpg" else None
    if raw is None or not getattr(raw.dbapi_connection, "autocommit", False):
        row = (await connection.execute(statement.statement, params)).mappings().one_or_none()
        return None if row is None else dict(row)
    compiled = statement.for_driver(connection.dialect)
    tracer: Tracer | None = session.info.get(TRACER)
    if tracer is None:
        return await _fetch(connection, raw, compiled, params)
    # As SQLAlchemy's instrumentation: a failure is the span's status, its message only (no stack, no detail).
    with tracer.start_as_current_span(
        compiled.operation,
        kind=SpanKind.CLIENT,
        attributes=_attributes(connection, compiled),
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            return await _fetch(connection, raw, compiled, params)
        except Exception as failed:
            span.set_status(
                Status(StatusCode.ERROR, str(failed.orig) if isinstance(failed, DBAPIError) else type(failed).__name__)
            )
            raise


async def one(session: AsyncSession, statement: Statement, params: Mapping[str, Any]) -> dict[str, Any]:
    """The statement's one row (a statement that always returns one: a writing CTE's answer)."""
    row = await one_or_none(session, statement, params)
    if row is None:
        raise NoResultFound("No row was found when one was required")
    return row


async def _fetch(connection: AsyncConnection, raw: Any, compiled: _ForDriver, params: Mapping[str, Any]) -> dict[str, Any] | None:
    values = compiled.values(params)
    try:
        # fetchrow: with fetch, one alternated sitting put 0.3 ms more of cases' CPU on each PUT (one sitting only).
        row = await raw.driver_connection.fetchrow(compiled.sql, *values)
    except Exception as error:
        failed = await translated(connection, raw, compiled.sql, error)
        raise failed from failed.orig  # SQLAlchemy's chain: its exception, the dialect's, the driver's
    return None if row is None else dict(row)


def _attributes(connection: AsyncConnection, compiled: _ForDriver) -> dict[str, Any]:
    """What SQLAlchemy's instrumentation puts on a statement's span (its default conventions)."""
    url = connection.engine.url
    found = {
        "server.address": url.host,
        "server.port": url.port or 5432,
        "db.name": url.database,
        "db.user": url.username,
        "db.statement": compiled.sql,
        "db.system": "postgresql",
        "db.operation": compiled.operation,
    }
    return {name: value for name, value in found.items() if value is not None}


async def translated(connection: AsyncConnection, raw: Any, sql: str, error: Exception) -> DBAPIError:
    """The exception SQLAlchemy raises for the driver's ``error`` (from a call on ``raw``, the connection's pooled
    DBAPI connection): translated by its dialect as it would be (shared.problems answers 409, 502 or 503 by its
    class), the connection and the pool invalidated on a disconnect as SQLAlchemy does. Also for the driver's
    calls made elsewhere (shared.bulk_insert's COPY)."""
    dialect, adapted = connection.dialect, raw.dbapi_connection
    dbapi_error = dialect.loaded_dbapi.Error
    try:
        adapted._handle_exception(error)  # raises the dialect's own exception for it
    except Exception as raised:  # the dialect's Error; anything else as the driver raised it
        translated = raised
    lost = dialect.is_disconnect(cast(Any, translated), adapted, None)
    wrapped = DBAPIError.instance(
        sql, None, translated, dbapi_error, hide_parameters=True, connection_invalidated=lost, dialect=dialect
    )
    if lost:
        await connection.invalidate(translated)
        # Every connection made before this one is replaced at its next checkout, as SQLAlchemy's own handling
        # of a disconnect does (a server that went away took them all).
        connection.sync_engine.pool._invalidate(raw, translated, _checkin=False)
    return cast(DBAPIError, wrapped)
