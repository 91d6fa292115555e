"""The one shape of every service: app factory, lifespan that owns the engine and clients, health endpoints."""

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.routing import APIRoute
from opentelemetry.sdk.trace import SpanProcessor
from pydantic import BaseModel

from shared import audit_api, driver_sql
from shared.access import StandingSource, authorize
from shared.audit import AuditedSession
from shared.auth import AuthMiddleware
from shared.bodies import read_json_strictly
from shared.clients import service_client
from shared.collector import tune_for_serving
from shared.context import RequestContextMiddleware
from shared.db import create_engine, sessionmaker
from shared.errors import DomainError
from shared.http import HeadAsGet
from shared.limits import EXEMPT_PATHS, BodySizeLimit, ConcurrencyLimit
from shared.logs import configure_logging
from shared.memory import trimming
from shared.migrations import current_revision, head_revision, open_database
from shared.problems import PROBLEM_JSON, install_problem_handlers, problems
from shared.schemas.common import Problem
from shared.settings import ServiceSettings
from shared.standing import RemoteStandings
from shared.telemetry import instrument_app, instrument_engine, statement_tracer, tracer_provider
from shared.tokens import TokenVerifier
from shared.warmup import WarmUp, require_warm, start_warm_up


@dataclass(frozen=True)
class Wiring:
    """How a service meets the world beyond its settings; tests replace parts of it."""

    span_processors: Sequence[SpanProcessor] = ()
    # Transport for calls to other services; None means real HTTP (pooled aiohttp).
    transport: httpx.AsyncBaseTransport | None = None


health = APIRouter(tags=["health"])


@health.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@health.get("/readyz", summary="Ready: warmed up, and the service's database answers and is migrated to the newest revision")
async def readyz(request: Request) -> dict[str, str]:
    require_warm(request.app)
    try:
        async with asyncio.timeout(2):
            async with request.app.state.engine.connect() as connection:
                revision = await current_revision(connection)
    except Exception as exc:  # any failure to reach the database means not ready
        raise DomainError(f"database unavailable: {type(exc).__name__}", kind="not-ready", headers={"Retry-After": "5"}) from exc
    if revision != request.app.state.migration_head:
        raise DomainError(
            f"database at revision {revision}, the service needs {request.app.state.migration_head}",
            kind="not-ready",
            headers={"Retry-After": "5"},
        )
    return {"status": "ready"}


def build_service(
    name: str,
    settings: ServiceSettings,
    *,
    migrations: Path,
    routers: Sequence[APIRouter],
    wiring: Wiring,
    calls: Mapping[str, str] = {},
    on_startup: Callable[[FastAPI], Awaitable[None]] | None = None,
    on_shutdown: Callable[[FastAPI], Awaitable[None]] | None = None,
    warm_up: WarmUp | None = None,
    description: str = "",
    extra_schemas: Sequence[type[BaseModel]] = (),
    standings: Callable[[FastAPI], StandingSource] | None = None,
) -> FastAPI:
    """A FastAPI app whose lifespan opens the database (migrated) and one client per service it calls.

    Every route is behind the token check (shared.auth) and the role matrix (shared.access); a caller's
    standing on an inspection comes from ``standings`` (the cases service's own), else from cases."""
    provider = tracer_provider(name, wiring.span_processors)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        instrument_engine(engine, provider, statements=settings.trace_sql)
        await open_database(engine, migrations, upgrade=settings.migrate_on_start)
        app.state.engine = engine
        app.state.migration_head = head_revision(migrations)
        # The statements sent straight to the driver (shared.driver_sql) have their spans as SQLAlchemy's do.
        tracing = {driver_sql.TRACER: statement_tracer(provider)} if settings.trace_sql else {}
        app.state.sessionmaker = sessionmaker(engine, AuditedSession, tracing)
        app.state.clients = {
            callee: service_client(url, provider, settings.call_timeout, wiring.transport) for callee, url in calls.items()
        }
        warming = None
        if standings is not None:
            app.state.standings = standings(app)
        elif "cases" in app.state.clients:
            app.state.standings = RemoteStandings(app.state.clients["cases"], settings.standing_cache_seconds)
        try:
            if on_startup is not None:
                await on_startup(app)
            warming = start_warm_up(app, warm_up)
            async with trimming(settings.memory_trim_seconds):
                yield
        finally:
            if warming is not None:
                warming.cancel()
            for client in app.state.clients.values():
                await client.aclose()
            await engine.dispose()
            provider.force_flush()
            if on_shutdown is not None:  # last: should it fail, the rest has been closed already
                await on_shutdown(app)

    app = FastAPI(title=f"omi {name}", description=description, version="1.0.0", lifespan=lifespan)
    app.state.service_name = name
    app.state.settings = settings
    install_problem_handlers(app)
    app.add_middleware(HeadAsGet)
    app.add_middleware(AuthMiddleware, verifier=TokenVerifier(settings.auth))
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes, larger=_table_bodies(routers, settings.max_table_body_bytes))
    app.add_middleware(ConcurrencyLimit, limit=settings.max_concurrent_requests)
    app.add_middleware(RequestContextMiddleware)
    read_json_strictly([health, *routers, audit_api.router])
    app.include_router(health)
    for router in [*routers, audit_api.router]:
        app.include_router(router, dependencies=[Depends(authorize)])
    instrument_app(app, provider)
    _document(app, [Problem, *extra_schemas])
    return app


def _table_bodies(routers: Sequence[APIRouter], limit: int) -> list[tuple[re.Pattern[str], int]]:
    """The paths of routes that take a spreadsheet (shared.table_bodies.json_or_csv), with their body limit."""
    return [
        (route.path_regex, limit)
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute) and "text/csv" in (route.openapi_extra or {}).get("requestBody", {}).get("content", {})
    ]


def _document(app: FastAPI, models: Sequence[type[BaseModel]]) -> None:
    """The OpenAPI document as the service answers: every error is problem+json (FastAPI would
    advertise its own 422 shape), and schemas of bodies parsed by hand are in the components."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = generate()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for model in models:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in schema.pop("$defs", {}).items():
                schemas.setdefault(name, definition)
            schemas[model.__name__] = schema
        problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for path, item in document.get("paths", {}).items():
            for operation in item.values():
                if "requestBody" in operation:  # shared.bodies: unreadable bodies
                    operation["responses"].setdefault("400", problems(400)[400])
                if path not in EXEMPT_PATHS:  # any operation can meet the concurrency limit
                    operation.setdefault("responses", {}).setdefault("503", {"description": problems(503)[503]["description"]})
                for status, response in operation.get("responses", {}).items():
                    if status.isdigit() and int(status) >= 400:
                        response["content"] = problem
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the document


def serve(name: str, factory: str, settings: ServiceSettings) -> None:
    """Run one service under uvicorn with JSON logs (`python -m services.<name>`). On SIGTERM uvicorn stops
    accepting, lets in-flight requests finish within the grace period, then the lifespan closes the pools."""
    configure_logging(name, settings.log_level)
    tune_for_serving(settings.gc_young_threshold)
    uvicorn.run(
        factory,
        factory=True,
        host=settings.host,
        port=settings.port,
        # Named, not left to "auto": a service without them would run several times slower, silently.
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=settings.access_log,
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )
