"""The API gateway: the one public entry point."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from services.gateway import api
from services.gateway.connections import ServiceConnections
from services.gateway.dates import DateMiddleware
from services.gateway.front import Gateway
from services.gateway.logic.breaker import observe_breakers
from services.gateway.logic.edges import SecurityHeadersMiddleware
from services.gateway.logic.limits import RateLimit, RateLimitMiddleware, storage_for
from services.gateway.logic.routing import RouteTable
from services.gateway.logic.upstream import Upstream
from services.gateway.server import http_protocol
from services.gateway.settings import GatewaySettings
from shared.auth import AuthMiddleware
from shared.clients import service_client
from shared.collector import tune_for_serving
from shared.context import RequestContextMiddleware
from shared.http import HeadAsGet
from shared.limits import ConcurrencyLimit, UrlLengthLimit
from shared.logs import configure_logging
from shared.problems import install_problem_handlers
from shared.service import Wiring
from shared.telemetry import instrument_app, metrics_of, traced_transport, tracer_provider
from shared.tokens import TokenVerifier, ensure_keys


def create_app(settings: GatewaySettings | None = None, wiring: Wiring = Wiring()) -> FastAPI:
    settings = settings or GatewaySettings()
    routes = RouteTable(settings.routes)
    unknown = routes.services() - settings.services.names()
    if unknown:
        raise ValueError(f"routes name services without a URL: {', '.join(sorted(unknown))}")
    provider = tracer_provider("gateway", wiring.span_processors)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.auth.mode == "embedded":
            ensure_keys(settings.auth.keys_dir)  # the key pair is made on first start
        # One pool: the client (readiness, OpenAPI documents) and the proxy's upstream share its transport.
        pool = wiring.transport or ServiceConnections(max_connections=500)
        app.state.client = service_client(
            "",
            provider,
            httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout, pool=settings.connect_timeout),
            pool,
        )
        app.state.upstream = Upstream(
            traced_transport(pool, provider),
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            retry_after=settings.retry_after,
            attempts=settings.retry_attempts,
            breaker_failures=settings.breaker_failures,
            breaker_cooldown=settings.breaker_cooldown_seconds,
        )
        observe_breakers(metrics_of(provider), app.state.upstream.breakers)
        try:
            yield
        finally:
            await app.state.client.aclose()
            provider.force_flush()

    app = Gateway(title="omi gateway", version="1.0.0", lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.routes = routes
    app.state.openapi_cache = None
    install_problem_handlers(app)
    # Outermost last: CORS, dates, request context, security headers (on every answer, refusals too), the
    # concurrency and URL limits, the token check, the rate limit (per subject), HEAD as GET. A proxied request
    # has them all done by one callable instead (services.gateway.front).
    app.add_middleware(HeadAsGet)
    app.add_middleware(
        RateLimitMiddleware,
        rate=RateLimit(settings.rate_limit, storage_for(settings.rate_limit_redis_url, settings.rate_limit_key_prefix)),
    )
    app.add_middleware(AuthMiddleware, verifier=TokenVerifier(settings.auth))
    app.add_middleware(UrlLengthLimit, limit=settings.max_url_bytes)
    app.add_middleware(ConcurrencyLimit, limit=settings.max_concurrent_requests)
    app.add_middleware(SecurityHeadersMiddleware, behind_tls=settings.behind_tls)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(DateMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=api.METHODS,
            allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key", "X-Request-ID"],
            expose_headers=["ETag", "Location", "Retry-After", "X-Request-ID", "Sample-Revision"],
        )
    app.include_router(api.router)
    app.mount(api.DOCS_ASSETS, StaticFiles(directory=api.DOCS_ASSETS_DIRECTORY), name="docs-assets")
    # Server spans outermost; proxied paths, past the router, are named by their route.
    instrument_app(app, provider, prefixes={api.PROXIED: api.PROXY_ROUTE})
    return app


def main() -> None:
    import uvicorn

    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level)
    tune_for_serving(settings.gc_young_threshold)
    # uvicorn's own Date and Server would ride on every proxied answer beside the service's (DateMiddleware).
    # httptools (services.gateway.server: bounded head, over-long URLs still the gateway's own 414) and uvloop.
    uvicorn.run(
        "services.gateway.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_config=None,
        date_header=False,
        server_header=False,
        loop="uvloop",
        http=http_protocol(settings.max_header_bytes),
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )
