"""The gateway's server span and HTTP server metrics, one span per request made directly: what the OpenTelemetry
ASGI instrumentation records under the stable HTTP conventions (span name, attributes, the trace context read
from the request, `http.server.request.duration`, active requests, body sizes), at a fraction of its cost per
request (on the proxy path the instrumentation cost more than the gateway's own forwarding)."""

import time

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.metrics import METRICS_PATH
from shared.privacy import redact_span
from shared.telemetry import DURATION_BUCKETS, metrics_of

SCOPE = "opentelemetry.instrumentation.asgi"
UNTRACED = frozenset({"/healthz", "/readyz", METRICS_PATH})
PROXY_PREFIX, PROXY_ROUTE = "/api/v1/", "/api/v1/{path:path}"


def route_of(routes: list[BaseRoute], scope: Scope) -> str | None:
    """The route template a request matched (a partial match, e.g. a method not allowed, names it too)."""
    if scope["path"].startswith(PROXY_PREFIX):
        return PROXY_ROUTE
    found = None
    for route in routes:
        match, _ = route.matches(scope)
        if match != Match.NONE:
            found = getattr(route, "path", None)
            if match == Match.FULL:
                break
    return found


class ServerSpans:
    """Pure ASGI: a server span per request (a child of the caller's trace context), current while the request
    is handled, with its request metrics."""

    def __init__(self, app: ASGIApp, provider: TracerProvider, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = routes
        self.tracer = trace.get_tracer(SCOPE, tracer_provider=provider)
        meter = metrics_of(provider).provider.get_meter(SCOPE)
        self.duration = meter.create_histogram(
            "http.server.request.duration",
            unit="s",
            description="Duration of HTTP server requests.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self.active = meter.create_up_down_counter(
            "http.server.active_requests", unit="{request}", description="Number of active HTTP server requests."
        )
        self.request_size = meter.create_histogram(
            "http.server.request.body.size", unit="By", description="Size of HTTP server request bodies."
        )
        self.response_size = meter.create_histogram(
            "http.server.response.body.size", unit="By", description="Size of HTTP server response bodies."
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNTRACED:
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        method = scope["method"]
        route = route_of(self.routes, scope)
        active: dict[str, AttributeValue] = {"http.request.method": method, "url.scheme": scope.get("scheme", "http")}
        attributes: dict[str, AttributeValue] = {
            **active,
            "url.path": scope["path"],
            "network.protocol.version": scope.get("http_version", "1.1"),
        }
        query = scope.get("query_string", b"")
        if query:
            attributes["url.query"] = query.decode("latin-1")
        server = scope.get("server")
        if server:
            attributes["server.address"], attributes["server.port"] = server[0], server[1] or 0
        client = scope.get("client")
        if client:
            attributes["client.address"], attributes["client.port"] = client[0], client[1]
        if "user-agent" in headers:
            attributes["user_agent.original"] = headers["user-agent"]
        if route:
            attributes["http.route"] = route
        span = self.tracer.start_span(
            f"{method} {route}" if route else method,
            context=propagate.extract(headers),
            kind=SpanKind.SERVER,
            attributes=attributes,
        )
        redact_span(span)  # a report link's token in url.query
        token = context.attach(trace.set_span_in_context(span))
        measured: dict[str, AttributeValue] = {k: v for k, v in attributes.items() if k in MEASURED}
        response_length = None

        async def sending(message: Message) -> None:
            nonlocal response_length
            if message["type"] == "http.response.start":
                status = message["status"]
                measured["http.response.status_code"] = status
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    measured["error.type"] = str(status)
                    span.set_attribute("error.type", str(status))
                    span.set_status(Status(StatusCode.ERROR))
                length = next((v for k, v in message.get("headers", ()) if k.lower() == b"content-length"), None)
                response_length = int(length) if length and length.isdigit() else None
            await send(message)

        self.active.add(1, active)
        try:
            await self.app(scope, receive, sending)
        except BaseException as exc:
            measured.setdefault("error.type", type(exc).__qualname__)
            span.set_attribute("error.type", measured["error.type"])
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            raise
        finally:
            self.duration.record(max(time.perf_counter() - start, 0.0), measured)
            self.active.add(-1, active)
            declared = headers.get("content-length", "")
            if declared.isdigit():
                self.request_size.record(int(declared), measured)
            if response_length is not None:
                self.response_size.record(response_length, measured)
            context.detach(token)
            span.end()


# The attributes `http.server.request.duration` is recorded by (the conventions' list for it).
MEASURED = frozenset({"http.request.method", "url.scheme", "http.route", "network.protocol.version"})
