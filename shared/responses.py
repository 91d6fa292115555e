"""Responses of documents built outside pydantic (bulk reads, score documents), serialised once by
orjson and never validated again against the route's ``response_model``, which still documents
them in the OpenAPI document (tests validate them against it)."""

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import Response


def to_json(document: Any) -> bytes:
    # default=str: asyncpg hands back its own UUID class, which orjson does not know.
    return orjson.dumps(document, option=orjson.OPT_UTC_Z, default=str)


def json_response(document: Any, headers: Mapping[str, str] | None = None) -> Response:
    """``document`` as JSON; bytes are taken as JSON already."""
    body = document if isinstance(document, bytes) else to_json(document)
    return Response(body, media_type="application/json", headers=headers)
