"""Several writes, their audit records among them, as one statement where the database has writing CTEs
(PostgreSQL): one round trip instead of one per write. The pieces are bound parameters, never literal values,
so each statement is compiled once and its plan kept; a multi-row VALUES would not be cacheable, so every audit
record is a CTE of its own."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import CTE, BindParameter, Table, bindparam, exists, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import RECORDS, WITHOUT_TRANSACTION

_RECORD = tuple(c.name for c in RECORDS.c if c.name != "seq")


def available(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def bound(table: Table, columns: Sequence[str], prefix: str) -> dict[str, BindParameter[Any]]:
    """A bound parameter per column, named ``prefix`` + column, typed as the column (JSON, UTC times, UUIDs)."""
    return {name: bindparam(f"{prefix}{name}", type_=table.c[name].type) for name in columns}


def prefixed(row: dict[str, Any], prefix: str) -> dict[str, Any]:
    """A row's values as the parameters of ``bound(..., prefix)``."""
    return {f"{prefix}{name}": value for name, value in row.items()}


def audit_records(count: int, after: CTE) -> list[CTE]:
    """``count`` audit record inserts (parameters ``r0_...``, ``r1_...``: see ``audit_params``), written only if
    the write ``after`` (a CTE with RETURNING) wrote a row: they read its output."""

    def one(n: int) -> CTE:
        row = select(*bound(RECORDS, _RECORD, f"r{n}_").values()).where(exists(after.select()))
        return insert(RECORDS).from_select(list(_RECORD), row).cte(f"record{n}")

    return [one(n) for n in range(count)]


async def without_transaction(session: AsyncSession) -> None:
    """A request whose one write is one statement (atomic by itself) runs it without BEGIN and COMMIT: two round
    trips fewer. Called before the session's first statement; its reads then each see the latest commit, as
    they would in a READ COMMITTED transaction."""
    await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    session.info[WITHOUT_TRANSACTION] = True  # shared.audit refuses an audited write through it


# Set on a session whose next write must commit with what the request did before it (shared.idempotency).
_HELD = "omi.transaction_held"


async def reads_alone(session: AsyncSession) -> None:
    """Before the first statement of a request whose one write will be one statement: its reads too run without
    a transaction (no BEGIN and COMMIT round trips), unless the transaction is held."""
    if available(session) and not session.info.get(_HELD) and not session.in_transaction():
        await without_transaction(session)


async def hold_transaction(session: AsyncSession) -> None:
    """What this request writes next commits with what it did before (an Idempotency-Key's record and lock with
    the write it answers for; a questionnaire created on first use with its first return): ``on_its_own`` then
    keeps the transaction. A request that was reading without one begins one here."""
    if session.info.pop(WITHOUT_TRANSACTION, False):
        await session.commit()  # gives back the connection as it was: the next statement begins a transaction
    session.info[_HELD] = True


async def on_its_own(session: AsyncSession) -> None:
    """Before a request's one write that is one statement: unless the transaction is held, what the request read
    (and anything it wrote, its audit records among them) is committed and the write runs without a transaction.
    Its row lock (a revision's bump, which orders the writers of an inspection or questionnaire) is then held
    while the statement runs, not until the request has answered: under 16 writers of one questionnaire, half
    of the database's connections were waiting for that lock."""
    if session.info.get(_HELD) or session.info.get(WITHOUT_TRANSACTION):
        return
    if session.in_transaction():
        await session.commit()
    await without_transaction(session)


def audit_params(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The parameters of ``audit_records(len(records))`` for records made by shared.audit.record."""
    return {f"r{n}_{name}": record[name] for n, record in enumerate(records) for name in _RECORD}
