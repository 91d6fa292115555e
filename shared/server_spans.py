"""The server span and HTTP server metrics of every process, one span per request made directly: what the
OpenTelemetry ASGI instrumentation records under the stable HTTP conventions (span name, attributes, the trace
context read from the request, `http.server.request.duration`, active requests, body sizes), at a fraction of its
cost per request (it cost a service about an eighth of an assessment PUT, and the gateway more than its forwarding)."""

import time
import traceback
from collections import Counter
from collections.abc import Iterator

from opentelemetry import context, propagate, trace
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.util.http import sanitize_method
from opentelemetry.util.types import AttributeValue
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.metrics import METRICS_PATH
from shared.privacy import without_row_values

SCOPE = "opentelemetry.instrumentation.asgi"
UNTRACED = frozenset({"/healthz", "/readyz", METRICS_PATH})
# The HTTP semantic conventions' advised buckets for request durations (seconds), as the instrumentations use.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)


def route_of(routes: list[BaseRoute], scope: Scope) -> str | None:
    """The route template a request matched (a partial match, e.g. a method not allowed, names it too)."""
    found = None
    for route in routes:
        match, _ = route.matches(scope)
        if match != Match.NONE:
            found = getattr(route, "path", None)
            if match == Match.FULL:
                break
    return found


class ServerSpans:
    """Pure ASGI, outermost: a server span per request (a child of the caller's trace context), current while the
    request is handled, with its request metrics. The route is the one the router matched (it leaves it in the
    scope), else, under ``prefixes`` (path prefix -> route, the gateway's proxied paths), the prefix's, else the
    one the path matches in part (a method not allowed); it names the span when the request ends."""

    def __init__(
        self,
        app: ASGIApp,
        provider: TracerProvider,
        meters: MeterProvider,
        routes: list[BaseRoute],
        prefixes: dict[str, str] | None = None,
    ) -> None:
        self.app = app
        self.routes = routes
        self.prefixes = tuple((prefixes or {}).items())
        self.tracer = trace.get_tracer(SCOPE, tracer_provider=provider)
        meter = meters.get_meter(SCOPE)
        self.duration = meter.create_histogram(
            "http.server.request.duration",
            unit="s",
            description="Duration of HTTP server requests.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        # Counted here and read when the metrics are collected: a measurement in and out of every request cost more.
        self.active: Counter[tuple[str, str]] = Counter()
        meter.create_observable_up_down_counter(
            "http.server.active_requests",
            callbacks=[self._observe_active],
            unit="{request}",
            description="Number of active HTTP server requests.",
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
        # A method the conventions do not know is _OTHER (its own name kept apart): a client cannot add labels. The
        # instrumentations' own reading of it (OTEL_PYTHON_INSTRUMENTATION_HTTP_CAPTURE_ALL_METHODS keeps them all).
        method = sanitize_method(scope["method"]) or "_OTHER"
        scheme = scope.get("scheme", "http")
        attributes: dict[str, AttributeValue] = {
            "http.request.method": method,
            "url.scheme": scheme,
            "url.path": scope["path"],
            "network.protocol.version": scope.get("http_version", "1.1"),
        }
        if method != scope["method"]:
            attributes["http.request.method_original"] = scope["method"]
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
        name = "HTTP" if method == "_OTHER" else method  # the conventions' span name for a method they do not know
        span = self.tracer.start_span(
            name,
            context=propagate.extract(headers),
            kind=SpanKind.SERVER,
            attributes=attributes,
        )
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

        self.active[method, scheme] += 1
        try:
            await self.app(scope, receive, sending)
        except BaseException as exc:
            measured.setdefault("error.type", type(exc).__qualname__)
            span.set_attribute("error.type", measured["error.type"])
            message = without_row_values(str(exc), exc)
            stack = without_row_values("".join(traceback.format_exception(exc)), exc)
            span.record_exception(exc, {"exception.message": message, "exception.stacktrace": stack})
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {message}"))
            raise
        finally:
            route = self._route(scope)
            if route:
                span.update_name(f"{name} {route}")
                span.set_attribute("http.route", route)
                measured["http.route"] = route
            self.duration.record(max(time.perf_counter() - start, 0.0), measured)
            self.active[method, scheme] -= 1
            declared = headers.get("content-length", "")
            if declared.isdigit():
                self.request_size.record(int(declared), measured)
            if response_length is not None:
                self.response_size.record(response_length, measured)
            context.detach(token)
            span.end()

    def _observe_active(self, _: CallbackOptions) -> Iterator[Observation]:
        for (method, scheme), count in list(self.active.items()):
            yield Observation(count, {"http.request.method": method, "url.scheme": scheme})

    def _route(self, scope: Scope) -> str | None:
        matched = scope.get("route")
        if matched is not None:
            return getattr(matched, "path", None)
        path = scope["path"]
        prefixed = next((route for prefix, route in self.prefixes if path.startswith(prefix)), None)
        return prefixed or route_of(self.routes, scope)


# The attributes `http.server.request.duration` is recorded by (the conventions' list for it).
MEASURED = frozenset({"http.request.method", "url.scheme", "http.route", "network.protocol.version"})
