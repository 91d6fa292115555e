"""Keyset pagination with an opaque cursor: ?limit= (default 50, max 500) and ?cursor=."""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query
from sqlalchemy import ColumnElement, Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from shared.errors import InvalidInput
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


def _bounded_int(text: str) -> int:
    value = int(text)
    if not -(2**63) <= value < 2**63:
        raise ValueError("out of range")
    return value


def _aware(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(UTC)


_DECODERS: dict[str, Callable[[str], object]] = {"dt": _aware, "uuid": UUID, "int": _bounded_int, "str": str}


def _tagged(value: object) -> list[str]:
    if isinstance(value, datetime):
        return ["dt", value.isoformat()]
    if isinstance(value, UUID):
        return ["uuid", str(value)]
    if isinstance(value, int):
        return ["int", str(value)]
    return ["str", str(value)]


def encode_cursor(*values: object) -> str:
    raw = json.dumps([_tagged(v) for v in values]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> tuple[Any, ...]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = tuple(_DECODERS[tag](value) for tag, value in json.loads(raw))
        if len(values) != arity:
            raise ValueError("wrong arity")
        return values
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError, OverflowError) as exc:
        raise _bad_cursor() from exc


def _bad_cursor() -> InvalidInput:
    return InvalidInput(
        [FieldError(field="cursor", location="query", message="invalid cursor", type="cursor")],
        "cursor is not one this API issued",
    )


async def paginate(
    session: AsyncSession,
    statement: Select[Any],
    order: Sequence[InstrumentedAttribute[Any] | ColumnElement[Any]],
    params: PageParams,
    *,
    as_mappings: bool = False,
) -> tuple[list[Any], str | None]:
    """Rows after the cursor in the order of the (unique together) ``order`` columns, and the next cursor.

    ``as_mappings`` returns plain column mappings instead of ORM objects: far cheaper to turn into
    wire models on bulk reads."""
    if params.cursor:
        after = decode_cursor(params.cursor, len(order))
        if not all(isinstance(value, column.type.python_type) for value, column in zip(after, order, strict=True)):
            raise _bad_cursor()
        statement = statement.where(tuple_(*order) > tuple_(*after))
    statement = statement.order_by(*order).limit(params.limit + 1)
    if as_mappings:
        rows: list[Any] = list((await session.execute(statement)).mappings().all())
    else:
        rows = list((await session.scalars(statement)).all())
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    last = rows[-1]
    keys = [_key(column) for column in order]
    return rows, encode_cursor(*(last[key] if as_mappings else getattr(last, key) for key in keys))


def _key(column: InstrumentedAttribute[Any] | ColumnElement[Any]) -> str:
    if column.key is None:
        raise TypeError(f"order column {column!r} has no name to read it back by")
    return column.key
