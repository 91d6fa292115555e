"""Many rows into one table in as few round trips as the database allows, in the caller's transaction:
PostgreSQL's COPY for many rows, else one executemany INSERT. Writes made here bypass the ORM and its audit events:
the caller writes their audit records (shared.audit_bulk)."""

from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import JSON, Table, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.driver_sql import translated

# Below this many rows one INSERT is cheaper than COPY's extra round trips (it reads the columns' types first).
COPY_FROM = 64


async def insert_rows(connection: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each naming the same columns) into ``table``. A failure raises what an INSERT's would (a
    unique violation IntegrityError: the request answers 409 and its transaction rolls back whole)."""
    if not rows:
        return
    if connection.dialect.name != "postgresql" or len(rows) < COPY_FROM:
        await connection.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    as_json = [i for i, name in enumerate(columns) if isinstance(table.c[name].type, JSON)]
    take = itemgetter(*columns)
    records = [take(row) if len(columns) > 1 else (take(row),) for row in rows]
    if as_json:
        # Only the JSON cells are rewritten (as text, which the driver takes for json): looking at every cell of
        # every row cost a tenth of an import.
        records = [_as_json_text(record, as_json) for record in records]
    raw = await connection.get_raw_connection()
    try:
        await raw.driver_connection.copy_records_to_table(table.name, records=records, columns=columns)  # type: ignore[union-attr]
    except Exception as error:
        # As SQLAlchemy would raise it for an INSERT: a unique violation 409, a cancelled statement (a statement
        # timeout) 503, a lost connection 502, and the text without the driver's DETAIL (shared.privacy).
        failed = await translated(connection, raw, f"COPY {table.name}", error)
        raise failed from failed.orig


def _as_json_text(record: tuple[Any, ...], as_json: list[int]) -> tuple[Any, ...]:
    cells = list(record)
    for i in as_json:
        if cells[i] is not None:
            cells[i] = orjson.dumps(cells[i]).decode()
    return tuple(cells)
