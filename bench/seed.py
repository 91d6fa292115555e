"""Seeding in bulk straight into a service's database (not through the API): copies of a row the API wrote,
each with new keys, by COPY on PostgreSQL and executemany on SQLite. Used for what a benchmark needs in
quantity but does not measure: cases waiting for their first assessment, and the stored assessments of
the scaling rows."""

import sqlite3
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg

from bench.suite import Suite


class Table:
    """One service's database, for reading a template row and writing many changed copies of it."""

    def __init__(self, suite: Suite, service: str) -> None:
        self.url = suite.database_urls[service]
        self.postgres = self.url.startswith("postgresql")
        self._dsn = suite.asyncpg_dsn(service) if self.postgres else self.url.split(":///", 1)[1]

    def key(self, value: uuid.UUID | str) -> Any:
        """A UUID as this database stores it (SQLite: 32 hex digits)."""
        value = uuid.UUID(str(value))
        return value if self.postgres else value.hex

    async def row(self, table: str, column: str, value: Any) -> dict[str, Any]:
        if self.postgres:
            connection = await asyncpg.connect(self._dsn)
            try:
                record = await connection.fetchrow(f'SELECT * FROM "{table}" WHERE "{column}" = $1', value)  # noqa: S608 - the code's own names
            finally:
                await connection.close()
            assert record is not None, f"no {table} row with {column} {value}"
            return dict(record)
        with sqlite3.connect(self._dsn) as connection:
            connection.row_factory = sqlite3.Row
            query = f'SELECT * FROM "{table}" WHERE "{column}" = ?'  # noqa: S608 - the code's own names
            found = connection.execute(query, (value,)).fetchone()
        assert found is not None, f"no {table} row with {column} {value}"
        return dict(found)

    async def copies(self, table: str, template: dict[str, Any], count: int, change: Callable[[int], dict[str, Any]]) -> None:
        """Write ``count`` copies of ``template``, the n-th with ``change(n)``'s columns replaced."""
        columns = list(template)
        rows = [tuple((template | change(n))[c] for c in columns) for n in range(count)]
        if self.postgres:
            connection = await asyncpg.connect(self._dsn)
            try:
                await connection.copy_records_to_table(table, records=rows, columns=columns)
            finally:
                await connection.close()
            return
        marks = ", ".join("?" for _ in columns)
        names = ", ".join(f'"{c}"' for c in columns)
        with sqlite3.connect(self._dsn, timeout=60) as connection:
            connection.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)  # noqa: S608 - the code's own names


async def cases_like(cases: Table, case_id: str, count: int, inspection_id: Any = None) -> list[uuid.UUID]:
    """``count`` new cases copied from a case (in its inspection, or ``inspection_id``), none assessed yet."""
    template = await cases.row("cases", "id", cases.key(case_id))
    ids = [uuid.uuid4() for _ in range(count)]
    changes = {"inspection_id": inspection_id} if inspection_id is not None else {}
    tag = uuid.uuid4().hex[:8]
    await cases.copies("cases", template, count, lambda n: changes | {"id": cases.key(ids[n]), "reference": f"S{tag}-{n}"})
    return ids
