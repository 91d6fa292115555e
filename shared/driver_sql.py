"""A hot path's Core statement run straight on PostgreSQL's driver (asyncpg), compiled once: past SQLAlchemy's
execution (its execution context, parameter and result processing, cursor wrapping and greenlet hops), which
cost the assessment PUT's two statements 0.22 ms of the cases service's CPU in all, a tenth of the request.

Only on a session that runs without a transaction (shared.writing_ctes): there each statement commits by itself
whichever way it is sent, so the session and the driver cannot disagree about a transaction. Anywhere else
(SQLite, a held transaction) the same statement goes through SQLAlchemy. Either way the answer is one row as a
mapping, a failure is SQLAlchemy's exception (a unique violation IntegrityError, a broken connection a DBAPIError
with the connection invalidated), and with ``trace_sql`` the statement has its client span."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast
from weakref import WeakKeyDictionary

from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from sqlalchemy import Dialect, Executable
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from shared.audit import WITHOUT_TRANSACTION

# In a session's info (shared.service's sessionmaker): the tracer of its SQL spans, where they are on.
TRACER = "omi.statement_tracer"
# SQLSTATE classes of a statement the server stopped or could not run (57: operator intervention, a statement
# timeout among them; 08: connection exception): SQLAlchemy's OperationalError, the database's outage.
_OUTAGE = ("57", "08")


@dataclass(frozen=True)
class _ForDriver:
    sql: str
    names: tuple[str, ...]  # the parameters in the order of $1, $2, ...
    processors: tuple[Callable[[Any], Any] | None, ...]
    constants: dict[str, Any]  # the statement's own literal values (a + 1, a status compared with)

    @property
    def operation(self) -> str:
        """The statement's first word, which begins its span's name (as SQLAlchemy's instrumentation names it)."""
        return self.sql.split(None, 1)[0]


class Statement:
    """A Core statement, compiled for the driver the first time a dialect runs it."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: WeakKeyDictionary[Dialect, _ForDriver] = WeakKeyDictionary()

    def for_driver(self, dialect: Dialect) -> _ForDriver:
        compiled = self._compiled.get(dialect)
        if compiled is None:
            compiled = self._compiled[dialect] = _compile(cast(ClauseElement, self.statement), dialect)
        return compiled


def _compile(statement: ClauseElement, dialect: Dialect) -> _ForDriver:
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
    names = tuple(compiled.positiontup or ())
    for column in getattr(statement, "selected_columns", ()):
        # The driver's values are handed back as they come: a column whose type converts them would differ.
        if column.type.dialect_impl(dialect).result_processor(dialect, None) is not None:
            raise TypeError(f"column {column.name!r} needs SQLAlchemy's result processing; run it through SQLAlchemy")
    binds = compiled.binds
    processors = tuple(binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names)
    constants = {name: bind.effective_value for name, bind in binds.items() if not bind.required}
    return _ForDriver(str(compiled), names, processors, constants)


async def one_or_none(session: AsyncSession, statement: Statement, params: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The statement's one row (None if it returned none), run on the session's connection."""
    connection = await session.connection()
    if not (session.info.get(WITHOUT_TRANSACTION) and connection.dialect.driver == "asyncpg"):
        return cast(Mapping[str, Any] | None, (await connection.execute(statement.statement, params)).mappings().one_or_none())
    compiled = statement.for_driver(connection.dialect)
    tracer: Tracer | None = session.info.get(TRACER)
    if tracer is None:
        return await _fetch(connection, compiled, params)
    name = f"{compiled.operation} {connection.engine.url.database}"
    attributes = _attributes(connection, compiled)
    # As SQLAlchemy's instrumentation: a failure is the span's status, its message only (no stack, no detail).
    with tracer.start_as_current_span(
        name, kind=SpanKind.CLIENT, attributes=attributes, record_exception=False, set_status_on_exception=False
    ) as span:
        try:
            return await _fetch(connection, compiled, params)
        except DBAPIError as failed:
            span.set_status(Status(StatusCode.ERROR, str(failed.orig)))
            raise


async def _fetch(connection: AsyncConnection, compiled: _ForDriver, params: Mapping[str, Any]) -> Mapping[str, Any] | None:
    given = compiled.constants | dict(params)
    values = [given[n] if p is None else p(given[n]) for n, p in zip(compiled.names, compiled.processors, strict=True)]
    driver = (await connection.get_raw_connection()).driver_connection
    try:
        return cast(Mapping[str, Any] | None, await driver.fetchrow(compiled.sql, *values))  # type: ignore[union-attr]
    except Exception as error:
        raise await _translated(connection, driver, compiled.sql, error) from error


def _attributes(connection: AsyncConnection, compiled: _ForDriver) -> dict[str, Any]:
    """What SQLAlchemy's instrumentation puts on a statement's span (its default conventions)."""
    url = connection.engine.url
    return {
        "db.system": "postgresql",
        "db.name": url.database or "",
        "db.statement": compiled.sql,
        "net.peer.name": url.host or "",
        "net.peer.port": url.port or 5432,
    }


async def one(session: AsyncSession, statement: Statement, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """The statement's one row (a statement that always returns one: a writing CTE's answer)."""
    row = await one_or_none(session, statement, params)
    if row is None:
        raise LookupError("the statement returned no row")
    return row


class DriverError(Exception):
    """The driver's error as SQLAlchemy's dialect gives it: the message and SQLSTATE, without asyncpg's detail line,
    which quotes the row's values (free text, a case reference) into whatever prints the error."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error.args[0] if error.args else type(error).__name__)
        self.sqlstate: str | None = getattr(error, "sqlstate", None)


async def _translated(connection: AsyncConnection, driver: Any, sql: str, error: Exception) -> DBAPIError:
    """The exception SQLAlchemy would have raised: its handlers (shared.problems) answer 409, 502 or 503."""
    orig = DriverError(error)
    if driver.is_closed():
        # As SQLAlchemy does for a disconnect; the pool's other connections the server closed are replaced at
        # checkout (shared.db).
        await connection.invalidate(error)
        return DBAPIError(sql, None, orig, hide_parameters=True, connection_invalidated=True)
    state = orig.sqlstate or ""
    if state.startswith("23"):
        return IntegrityError(sql, None, orig, hide_parameters=True)
    if state[:2] in _OUTAGE:
        return OperationalError(sql, None, orig, hide_parameters=True)
    return DBAPIError(sql, None, orig, hide_parameters=True)
