"""OpenTelemetry, set up once here and called by every service.

Each service gets its own TracerProvider (its own ``service.name``) that is passed to the
instrumentors explicitly, so several services can share one process in tests; its metrics
(shared.metrics) go with it. Nothing is exported unless OTEL_EXPORTER_OTLP_ENDPOINT is set;
metrics are always served at /metrics.
"""

import os
import time
from collections.abc import Iterator, Sequence
from typing import Any
from weakref import WeakKeyDictionary

import httpx
from fastapi import FastAPI
from opentelemetry import context
from opentelemetry.instrumentation.httpx.version import __version__ as httpx_instrumentation_version
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.instrumentation.sqlalchemy.version import __version__ as sqlalchemy_instrumentation_version
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.propagate import inject
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer, get_tracer, set_span_in_context
from opentelemetry.util.types import AttributeValue
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from shared.metrics import Metrics, MetricsEndpoint, create_metrics
from shared.privacy import RedactingSpanProcessor, redact_logs
from shared.server_spans import DURATION_BUCKETS, ServerSpans

# The stable HTTP semantic conventions (http.server.request.duration, http.client.request.duration),
# unless the environment asks otherwise; read when the first instrumentor starts.
os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")
HTTPX_SCOPE = "opentelemetry.instrumentation.httpx"
_METRICS: "WeakKeyDictionary[TracerProvider, Metrics]" = WeakKeyDictionary()


def tracer_provider(service_name: str, extra_processors: Sequence[SpanProcessor] = ()) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(RedactingSpanProcessor())  # first: no exporter sees a token in a URL
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    for processor in extra_processors:
        provider.add_span_processor(processor)
    _METRICS[provider] = create_metrics(service_name)
    return provider


def metrics_of(provider: TracerProvider) -> Metrics:
    """The metrics of the service whose tracer provider this is."""
    return _METRICS[provider]


def instrument_app(app: FastAPI, provider: TracerProvider, prefixes: dict[str, str] | None = None) -> None:
    """The service's own /metrics, and outermost a server span and the request metrics of every request
    (shared.server_spans; ``prefixes`` name the route of paths the router does not see)."""
    metrics = metrics_of(provider)
    app.state.metrics = metrics
    redact_logs()
    app.add_middleware(MetricsEndpoint, registry=metrics.registry)
    app.add_middleware(ServerSpans, provider=provider, meters=metrics.provider, routes=app.router.routes, prefixes=prefixes)


def statement_tracer(provider: TracerProvider) -> Tracer:
    """The tracer of SQL statements' spans (SQLAlchemy's instrumentation scope; shared.driver_sql's too)."""
    return get_tracer("opentelemetry.instrumentation.sqlalchemy", sqlalchemy_instrumentation_version, provider)


def instrument_engine(engine: AsyncEngine, provider: TracerProvider, statements: bool = True) -> None:
    """The pool's connections in use (a metric, always) and, with ``statements``, a span per SQL statement
    (costly on the write paths, where every request runs the same few statements: a setting turns them on)."""
    # SQLAlchemyInstrumentor is a process-wide singleton bound to one provider; EngineTracer
    # instruments just this engine with this service's provider (several services share a test process).
    meters = metrics_of(provider).provider
    meter = meters.get_meter("opentelemetry.instrumentation.sqlalchemy", sqlalchemy_instrumentation_version)
    if statements:
        usage = meter.create_up_down_counter(name="db.client.connections.usage", unit="{connection}")
        tracer = statement_tracer(provider)
        # EngineTracer is not annotated: called as what it is to a type checker, an untyped callable.
        untyped: Any = EngineTracer
        untyped(tracer, engine.sync_engine, usage)
        return
    # The same metric as EngineTracer's, read from the pool when the metrics are collected: counting
    # every checkout and checkin cost four measurements a request.
    # The instrument is made once per service (the SDK keeps the first of a name and drops a later callback): an
    # engine made again (a lifespan run twice) replaces its predecessor in what the callback reads.
    pools = metrics_of(provider).pools
    if not pools:

        def observe(_: CallbackOptions) -> Iterator[Observation]:
            for name, current in list(pools.items()):
                pool = current.sync_engine.pool
                if isinstance(pool, QueuePool):
                    yield Observation(pool.checkedin(), {"pool.name": name, "state": "idle"})
                    yield Observation(pool.checkedout(), {"pool.name": name, "state": "used"})

        meter.create_observable_up_down_counter(name="db.client.connections.usage", callbacks=[observe], unit="{connection}")
    pools[engine.url.render_as_string(hide_password=True)] = engine


class _TracedTransport(httpx.AsyncBaseTransport):
    """A client span, W3C trace context and `http.client.request.duration` for every outbound call: what
    opentelemetry-instrumentation-httpx records (same names, attributes and instrumentation scope) for the stable
    conventions alone, made directly (its general attribute machinery cost more than the gateway's own forwarding)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, provider: TracerProvider) -> None:
        self.inner = inner
        self.tracer = get_tracer(HTTPX_SCOPE, httpx_instrumentation_version, provider)
        meter = metrics_of(provider).provider.get_meter(HTTPX_SCOPE, httpx_instrumentation_version)
        self.duration = meter.create_histogram(
            name="http.client.request.duration",
            unit="s",
            description="Duration of HTTP client requests.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        method = request.method
        measured: dict[str, AttributeValue] = {"http.request.method": method, "server.address": url.host}
        if url.port is not None:
            measured["server.port"] = url.port
        # Started, made current and ended by hand: what start_as_current_span does (an exception's status included),
        # without its two context-manager layers.
        span = self.tracer.start_span(method, kind=SpanKind.CLIENT, attributes={**measured, "url.full": str(url)})
        token = context.attach(set_span_in_context(span))
        try:
            inject(request.headers)
            start = time.perf_counter()
            try:
                response = await self.inner.handle_async_request(request)
            except Exception as exc:
                measured["error.type"] = type(exc).__qualname__
                span.set_attribute("error.type", measured["error.type"])
                self.duration.record(max(time.perf_counter() - start, 0.0), measured)
                span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
                raise
            elapsed = max(time.perf_counter() - start, 0.0)
            status = response.status_code
            measured["http.response.status_code"] = status
            measured["network.protocol.version"] = response.http_version.removeprefix("HTTP/")
            span.set_attribute("http.response.status_code", status)
            if status >= 400:
                measured["error.type"] = str(status)
                span.set_attribute("error.type", str(status))
                span.set_status(StatusCode.ERROR)
            self.duration.record(elapsed, measured)
            return response
        finally:
            context.detach(token)
            span.end()

    async def aclose(self) -> None:
        await self.inner.aclose()


def traced_transport(inner: httpx.AsyncBaseTransport, provider: TracerProvider) -> httpx.AsyncBaseTransport:
    """Client spans and W3C trace context on every outbound call, whatever the transport."""
    return _TracedTransport(inner, provider)
