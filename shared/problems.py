"""RFC 9457 problem documents: the one handler that answers every domain error, and the OpenAPI entries for them."""

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import CATALOGUE, TYPE_BASE, DomainError, InvalidInput, field_errors
from shared.http import allowed_methods
from shared.schemas.common import FieldError, Problem

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger(__name__)
E = TypeVar("E", bound=Exception)

# Statuses Starlette raises itself (no route, wrong method), as catalogue kinds.
_STARLETTE_KINDS = {400: "bad-request", 404: "not-found", 405: "method-not-allowed", 406: "not-acceptable", 413: "body-too-large"}


def problem_response(
    kind: str,
    detail: str | None = None,
    *,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
    instance: str | None = None,
) -> JSONResponse:
    """The problem document of a catalogue kind (its status and title are the catalogue's)."""
    problem_type = CATALOGUE[kind]
    problem = Problem(
        type=TYPE_BASE + kind,
        title=problem_type.title,
        status=problem_type.status,
        detail=detail,
        instance=instance,
        errors=list(errors) if errors is not None else None,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=problem_type.status,
        headers=dict(headers or {}),
        media_type=PROBLEM_JSON,
    )


async def _on_domain_error(request: Request, exc: DomainError) -> JSONResponse:
    return problem_response(exc.problem.kind, exc.detail, errors=exc.errors, headers=exc.headers, instance=request.url.path)


async def _on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    return await _on_domain_error(request, InvalidInput(field_errors(exc.errors())))


async def _on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    kind = _STARLETTE_KINDS.get(exc.status_code, "bad-request")
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != CATALOGUE[kind].title else None
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:  # every method of the path, not just the first route's
        headers["Allow"] = ", ".join(allowed_methods(request.app.router.routes, request.scope))
    return problem_response(kind, detail, headers=headers, instance=request.url.path)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The stack trace goes to the log (with the request id), never to the client.
    context = getattr(request.state, "context_headers", {})
    logger.exception(
        "unhandled error on %s %s",
        request.method,
        request.url.path,
        extra={"request_id": context.get("X-Request-ID"), "traceparent": context.get("traceparent")},
    )
    return problem_response("internal-error", "An unexpected error occurred; it has been logged.", headers=context)


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)


def _is_unique_violation(exc: IntegrityError) -> bool:
    return _sqlstate(exc) == "23505" or "UNIQUE constraint failed" in str(exc.orig)


async def _on_conflicting_write(request: Request, exc: IntegrityError) -> JSONResponse:
    # Two requests raced to create the same thing (a first assessment, a case reference): the
    # loser's transaction was rolled back whole. Any other integrity error is a bug, not a race.
    if not _is_unique_violation(exc):
        return await _on_unexpected(request, exc)
    return problem_response(
        "concurrent-change",
        "a concurrent request changed the same data first; read it again and retry",
        instance=request.url.path,
        headers=getattr(request.state, "context_headers", None),
    )


async def _on_database_failure(request: Request, exc: DBAPIError | ConnectionError) -> JSONResponse:
    # The database went away (restart, failover): the pools reconnect by themselves (shared.db), so
    # this is the database's outage, told as such, not a bug. A connection that broke mid-statement
    # may have committed: 502, read again before resending; one that could not be had (no statement
    # ran: "shutting down", "starting up", refused), or a statement the database cancelled: 503, retry.
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        kind, detail, headers = "bad-gateway", "the database connection broke; read again before resending", {}
    elif not isinstance(exc, DBAPIError) or exc.statement is None or isinstance(exc, OperationalError | InterfaceError):
        kind, detail, headers = "service-unavailable", "the database is unavailable; try again shortly", {"Retry-After": "1"}
    elif _sqlstate(exc) == "57014":  # query_canceled: a statement timeout or an operator's cancel; rolled back whole
        kind, detail, headers = (
            "service-unavailable",
            "the database cancelled a statement (a statement timeout or an operator's cancel); try again shortly",
            {"Retry-After": "1"},
        )
    else:
        return await _on_unexpected(request, exc)
    logger.warning("database failure on %s %s: %s", request.method, request.url.path, kind)
    return problem_response(kind, detail, instance=request.url.path, headers=headers)


def _handle(app: FastAPI, kind: type[E], handler: Callable[[Request, E], Awaitable[JSONResponse]]) -> None:
    # Starlette types every handler as taking any Exception; it calls each only with its own kind.
    app.add_exception_handler(kind, cast("Callable[[Request, Exception], Awaitable[JSONResponse]]", handler))


def install_problem_handlers(app: FastAPI) -> None:
    _handle(app, DomainError, _on_domain_error)
    _handle(app, RequestValidationError, _on_validation)
    _handle(app, StarletteHTTPException, _on_http)
    _handle(app, IntegrityError, _on_conflicting_write)
    _handle(app, DBAPIError, _on_database_failure)
    # asyncpg's own connect raises these unwrapped (refused, reset) while the database restarts; every
    # other socket a service uses is httpx's, whose errors are its own.
    _handle(app, ConnectionError, _on_database_failure)
    _handle(app, Exception, _on_unexpected)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries naming the problems an endpoint answers with; every service's
    document then gives each error response the problem+json schema (shared.service)."""
    return {status: {"description": _describe(status)} for status in statuses}


def _describe(status: int) -> str:
    meanings = [f"`{kind}`: {t.meaning}" for kind, t in CATALOGUE.items() if t.status == status]
    return "; ".join(meanings) or "Problem"
