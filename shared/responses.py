"""Responses of documents built outside pydantic (bulk reads, score documents), serialised once by
orjson and never validated again against the route's ``response_model``, which still documents
them in the OpenAPI document (tests validate them against it)."""

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import orjson
from fastapi import Response


def _uuid(value: Any) -> str:
    # asyncpg hands back its own UUID class, which orjson does not know; anything else is a bug.
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def to_json(document: Any) -> bytes:
    return orjson.dumps(document, option=orjson.OPT_UTC_Z, default=_uuid)


def json_response(document: Any, headers: Mapping[str, str] | None = None) -> Response:
    """``document`` as JSON; bytes are taken as JSON already."""
    body = document if isinstance(document, bytes) else to_json(document)
    return Response(body, media_type="application/json", headers=headers)
