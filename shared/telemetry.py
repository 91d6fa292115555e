"""OpenTelemetry, set up once here and called by every service.

Each service gets its own TracerProvider (its own ``service.name``) that is passed to the
instrumentors explicitly, so several services can share one process in tests. Nothing is
exported unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
"""

import os
from collections.abc import Sequence
from typing import Any

import httpx
from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import AsyncOpenTelemetryTransport
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.instrumentation.sqlalchemy.version import __version__ as sqlalchemy_instrumentation_version
from opentelemetry.metrics import get_meter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import get_tracer
from sqlalchemy.ext.asyncio import AsyncEngine

_UNTRACED = "healthz,readyz"


def tracer_provider(service_name: str, extra_processors: Sequence[SpanProcessor] = ()) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    for processor in extra_processors:
        provider.add_span_processor(processor)
    return provider


def instrument_app(app: FastAPI, provider: TracerProvider) -> None:
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls=_UNTRACED, exclude_spans=["receive", "send"])


def instrument_engine(engine: AsyncEngine, provider: TracerProvider) -> None:
    # SQLAlchemyInstrumentor is a process-wide singleton bound to one provider; EngineTracer
    # instruments just this engine with this service's provider (several services share a test process).
    tracer = get_tracer("opentelemetry.instrumentation.sqlalchemy", sqlalchemy_instrumentation_version, provider)
    usage = get_meter("opentelemetry.instrumentation.sqlalchemy").create_up_down_counter(
        name="db.client.connections.usage", unit="connections"
    )
    # EngineTracer is not annotated: called as what it is to a type checker, an untyped callable.
    untyped: Any = EngineTracer
    untyped(tracer, engine.sync_engine, usage)


def traced_transport(inner: httpx.AsyncBaseTransport, provider: TracerProvider) -> httpx.AsyncBaseTransport:
    """Client spans and W3C trace context on every outbound call, whatever the transport."""
    return AsyncOpenTelemetryTransport(inner, tracer_provider=provider)
