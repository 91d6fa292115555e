"""A response straight from a validated model: serialised once by pydantic-core, not re-validated."""

from fastapi import Response
from pydantic import BaseModel


def model_response(model: BaseModel, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    # For hot endpoints whose result is already a validated wire model (FastAPI would validate it
    # again against response_model before serialising); the OpenAPI document still comes from
    # the route's response_model.
    return Response(model.model_dump_json(), status_code=status_code, headers=headers, media_type="application/json")
