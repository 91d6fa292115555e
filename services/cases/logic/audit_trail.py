"""The audit trail of every service merged in time order: this service's records read here, the others' asked
of them (with the caller's token), one cursor for the merged order (time, service, sequence number)."""

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Mapping
from dataclasses import asdict
from typing import Any

import httpx
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.audit import AuditQuery, Position, read_after
from shared.audit_api import as_entry, cursor_of
from shared.clients import call_service
from shared.pagination import encode_cursor
from shared.schemas.access import AuditEntry

_ENTRIES = TypeAdapter(list[AuditEntry])
CSV_COLUMNS = list(AuditEntry.model_fields)
_PARAMETERS = {
    "entity": "entity",
    "entity_id": "id",
    "actor": "actor",
    "inspection": "inspection",
    "at_from": "from",
    "at_to": "to",
}


def _params(query: AuditQuery, after: Position | None, limit: int) -> dict[str, Any]:
    params = {_PARAMETERS[name]: str(value) for name, value in asdict(query).items() if value is not None}
    if after is not None:
        params["after"] = encode_cursor(after.at, after.service, after.seq)
    return params | {"limit": limit}


async def page(
    session: AsyncSession,
    here: str,
    others: Mapping[str, httpx.AsyncClient],
    query: AuditQuery,
    after: Position | None,
    limit: int,
) -> tuple[list[AuditEntry], str | None]:
    """One page of the merged trail and the cursor of the next (None on the last)."""

    async def remote(service: str, client: httpx.AsyncClient) -> list[AuditEntry]:
        response = await call_service(client, service, "GET", "/internal/audit", params=_params(query, after, limit + 1))
        return _ENTRIES.validate_json(response.content)

    own = [as_entry(r, here) for r in await read_after(session, here, query, after, limit + 1)]
    fetched = await asyncio.gather(*(remote(name, client) for name, client in sorted(others.items())))
    merged = sorted([*own, *(e for entries in fetched for e in entries)], key=lambda e: (e.at, e.service, e.seq))
    if len(merged) <= limit:
        return merged, None
    return merged[:limit], cursor_of(merged[limit - 1])


async def csv_rows(
    sessions: async_sessionmaker[AsyncSession],
    here: str,
    others: Mapping[str, httpx.AsyncClient],
    query: AuditQuery,
    after: Position | None,
) -> AsyncIterator[str]:
    """The whole merged trail from ``after`` on, as CSV, a page at a time."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    yield out.getvalue()
    while True:
        async with sessions() as session:
            entries, _ = await page(session, here, others, query, after, 500)
        out.seek(0)
        out.truncate()
        for entry in entries:
            row = entry.model_dump(mode="json")
            writer.writerow(row | {"fields": " ".join(row["fields"])})
        yield out.getvalue()
        if len(entries) < 500:
            return
        last = entries[-1]
        after = Position(last.at, last.service, last.seq)
