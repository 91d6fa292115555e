"""Request bodies that are JSON or a CSV spreadsheet (bulk imports): reading them, and their OpenAPI entry."""

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request

from shared.errors import UnsupportedMediaType, invalid


def json_or_csv(schema: str, csv_description: str) -> dict[str, Any]:
    """OpenAPI request body of an endpoint that reads JSON (``schema``) or a CSV spreadsheet."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}},
                "text/csv": {"schema": {"type": "string", "description": csv_description}},
            },
        }
    }


# A body to be read when the logic gets to it (so a missing resource is a 404 whatever the media type).
Upload = Callable[[], Awaitable[str | bytes]]


def upload(request: Request) -> Upload:
    return functools.partial(table_body, request)


async def table_body(request: Request) -> str | bytes:
    """The body of a JSON-or-CSV endpoint: a CSV's text (str) or a JSON document (bytes); 415 otherwise."""
    body = await request.body()
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "text/csv":
        try:
            return body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise invalid("body", "the CSV is not UTF-8", type="encoding") from exc
    if media_type in ("application/json", ""):
        return body
    raise UnsupportedMediaType("send application/json or text/csv")
