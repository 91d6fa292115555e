"""RFC 9457 problem details: one exception type and the handlers every service installs."""

import logging
from http import HTTPStatus
from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.schemas.common import FieldError, Problem

PROBLEM_JSON = "application/problem+json"
_TYPE_BASE = "urn:omi:problem:"
logger = logging.getLogger(__name__)


class ProblemError(Exception):
    """Raise anywhere below a router to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        kind: str | None = None,
        errors: Sequence[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.kind = kind
        self.errors = list(errors) if errors is not None else None
        self.headers = headers or {}


def problem_response(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    kind: str | None = None,
    errors: Sequence[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
) -> JSONResponse:
    problem = Problem(
        type=_TYPE_BASE + kind if kind else "about:blank",
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        errors=list(errors) if errors is not None else None,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True), status_code=status, headers=headers, media_type=PROBLEM_JSON
    )


def field_errors(errors: Sequence[dict], default_location: str = "body") -> list[FieldError]:
    """Turn pydantic/FastAPI error dicts into named field errors."""
    result = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        location = default_location
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
            location, loc = loc[0], loc[1:]
        if error.get("type") == "json_invalid":
            loc = []  # pydantic's location is a character offset, not a field
        result.append(
            FieldError(
                field=".".join(loc) or location,
                location=location,
                message=error.get("msg", "invalid"),
                type=error.get("type", "value_error"),
            )
        )
    return result


def validation_problem(errors: Sequence[FieldError], detail: str | None = None) -> ProblemError:
    names = ", ".join(e.field for e in errors)
    return ProblemError(
        422,
        "Validation failed",
        detail or f"Invalid: {names}",
        kind="validation-error",
        errors=errors,
    )


async def _on_problem(request: Request, exc: ProblemError) -> JSONResponse:
    return problem_response(
        exc.status, exc.title, exc.detail, kind=exc.kind, errors=exc.errors, headers=exc.headers,
        instance=request.url.path,
    )


async def _on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    problem = validation_problem(field_errors(exc.errors()))
    return await _on_problem(request, problem)


async def _on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    try:
        title = HTTPStatus(exc.status_code).phrase
    except ValueError:
        title = "Error"
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
    return problem_response(
        exc.status_code, title, detail, headers=getattr(exc, "headers", None), instance=request.url.path
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The stack trace goes to the log (with the request id), never to the client.
    context = getattr(request.state, "context_headers", {})
    logger.exception(
        "unhandled error on %s %s", request.method, request.url.path,
        extra={"request_id": context.get("X-Request-ID"), "traceparent": context.get("traceparent")},
    )
    return problem_response(
        500, "Internal Server Error", "An unexpected error occurred; it has been logged.", headers=context
    )


def _is_unique_violation(exc: IntegrityError) -> bool:
    original = exc.orig
    code = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    return code == "23505" or "UNIQUE constraint failed" in str(original)


async def _on_conflicting_write(request: Request, exc: IntegrityError) -> JSONResponse:
    # Two requests raced to create the same thing (a first assessment, a case reference): the
    # loser's transaction was rolled back whole. Any other integrity error is a bug, not a race.
    if not _is_unique_violation(exc):
        return await _on_unexpected(request, exc)
    return problem_response(
        409, "Conflict", "a concurrent request changed the same data first; read it again and retry",
        kind="concurrent-change", instance=request.url.path, headers=getattr(request.state, "context_headers", None),
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(IntegrityError, _on_conflicting_write)
    app.add_exception_handler(Exception, _on_unexpected)


_TITLES = {
    400: "Bad request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found", 409: "Conflict",
    412: "Stale If-Match", 422: "Validation failed", 428: "If-Match required", 502: "Bad gateway",
    503: "A service it needs is unavailable", 504: "A service it needs timed out",
}


def problems(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI `responses=` entries naming the problems an endpoint answers with; every service's
    document then gives each error response the problem+json schema (shared.service)."""
    return {status: {"description": _TITLES.get(status, "Problem")} for status in statuses}
