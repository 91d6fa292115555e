"""Request bodies that are JSON or a CSV spreadsheet (bulk imports): reading them, and their OpenAPI entry."""

from typing import Any, Literal

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


async def table_body(request: Request) -> tuple[Literal["json", "csv"], bytes | str]:
    """The body of a JSON-or-CSV endpoint: ("csv", text) or ("json", bytes); 415 for anything else."""
    body = await request.body()
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "text/csv":
        try:
            return "csv", body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise invalid("body", "the CSV is not UTF-8", type="encoding") from exc
    if media_type in ("application/json", ""):
        return "json", body
    raise UnsupportedMediaType("send application/json or text/csv")
