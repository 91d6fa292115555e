"""Keyset pagination with an opaque cursor: ?limit= (default 50, max 500) and ?cursor=."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query
from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from shared.problems import ProblemError
from shared.schemas.common import FieldError


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None


def page_params(
    limit: Annotated[int, Query(ge=1, le=500, description="Items per page (max 500).")] = 50,
    cursor: Annotated[str | None, Query(description="Opaque cursor from next_cursor.")] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


def encode_cursor(created_at: datetime, item_id: UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(item_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, item_id = json.loads(raw)
        return datetime.fromisoformat(created_at), UUID(item_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ProblemError(
            422, "Validation failed", "cursor is not one this API issued",
            kind="validation-error",
            errors=[FieldError(field="cursor", location="query", message="invalid cursor", type="cursor")],
        ) from exc


async def paginate(
    session: AsyncSession,
    statement: Select[Any],
    created_at: InstrumentedAttribute,
    item_id: InstrumentedAttribute,
    params: PageParams,
) -> tuple[list[Any], str | None]:
    """Rows after the cursor in (created_at, id) order, and the cursor of the next page."""
    if params.cursor:
        after = decode_cursor(params.cursor)
        statement = statement.where(tuple_(created_at, item_id) > tuple_(*after))
    statement = statement.order_by(created_at, item_id).limit(params.limit + 1)
    rows = list((await session.scalars(statement)).all())
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    last = rows[-1]
    return rows, encode_cursor(getattr(last, created_at.key), getattr(last, item_id.key))
