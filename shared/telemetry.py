"""OpenTelemetry, set up once here and called by every service.

Each service gets its own TracerProvider (its own ``service.name``) that is passed to the
instrumentors explicitly, so several services can share one process in tests; its metrics
(shared.metrics) go with it. Nothing is exported unless OTEL_EXPORTER_OTLP_ENDPOINT is set;
metrics are always served at /metrics.
"""

import os
from collections.abc import Sequence
from typing import Any
from weakref import WeakKeyDictionary

import httpx
from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import AsyncOpenTelemetryTransport
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.instrumentation.sqlalchemy.version import __version__ as sqlalchemy_instrumentation_version
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import get_tracer
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.metrics import METRICS_PATH, Metrics, MetricsEndpoint, create_metrics
from shared.privacy import RedactingSpanProcessor, redact_span, redact_url_logs

_UNTRACED = "healthz,readyz," + METRICS_PATH.strip("/")
# The stable HTTP semantic conventions (http.server.request.duration, http.client.request.duration),
# unless the environment asks otherwise; read when the first instrumentor starts.
os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")
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


def instrument_app(app: FastAPI, provider: TracerProvider) -> None:
    """Spans and request metrics for every request, and the service's own /metrics."""
    metrics = metrics_of(provider)
    app.state.metrics = metrics
    redact_url_logs()
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        meter_provider=metrics.provider,
        excluded_urls=_UNTRACED,
        exclude_spans=["receive", "send"],
        server_request_hook=redact_span,
    )
    app.add_middleware(MetricsEndpoint, registry=metrics.registry)


def instrument_engine(engine: AsyncEngine, provider: TracerProvider, statements: bool = True) -> None:
    """The pool's connections in use (a metric, always) and, with ``statements``, a span per SQL statement
    (costly on the write paths, where every request runs the same few statements: a setting turns them on)."""
    # SQLAlchemyInstrumentor is a process-wide singleton bound to one provider; EngineTracer
    # instruments just this engine with this service's provider (several services share a test process).
    meters = metrics_of(provider).provider
    meter = meters.get_meter("opentelemetry.instrumentation.sqlalchemy", sqlalchemy_instrumentation_version)
    usage = meter.create_up_down_counter(name="db.client.connections.usage", unit="{connection}")
    if statements:
        tracer = get_tracer("opentelemetry.instrumentation.sqlalchemy", sqlalchemy_instrumentation_version, provider)
        # EngineTracer is not annotated: called as what it is to a type checker, an untyped callable.
        untyped: Any = EngineTracer
        untyped(tracer, engine.sync_engine, usage)
        return
    # The same metric as EngineTracer's, from the pool's events alone.
    idle = {"pool.name": engine.url.render_as_string(hide_password=True), "state": "idle"}
    used = idle | {"state": "used"}
    pool = engine.sync_engine
    event.listen(pool, "connect", lambda *_: usage.add(1, idle))
    event.listen(pool, "close", lambda *_: usage.add(-1, idle))
    event.listen(pool, "checkout", lambda *_: (usage.add(-1, idle), usage.add(1, used)))
    event.listen(pool, "checkin", lambda *_: (usage.add(-1, used), usage.add(1, idle)))


def traced_transport(inner: httpx.AsyncBaseTransport, provider: TracerProvider) -> httpx.AsyncBaseTransport:
    """Client spans and W3C trace context on every outbound call, whatever the transport."""
    return AsyncOpenTelemetryTransport(inner, tracer_provider=provider, meter_provider=metrics_of(provider).provider)
