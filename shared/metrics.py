"""OpenTelemetry metrics of every process: one MeterProvider per service, read as Prometheus text at
/metrics and exported by OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.

The instrumentors record the semantic-convention instruments (`http.server.request.duration` by
route and status, `http.client.request.duration` per upstream, `db.client.connections.usage` of
the pool); `count_writes` counts the domain's writes. Each service has its own Prometheus
registry, so several services can share one process in tests.
"""

import os
from dataclasses import dataclass, field
from typing import Literal

from fastapi import FastAPI
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import Counter
from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, ExemplarFilter, MeterProvider, TraceBasedExemplarFilter
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Receive, Scope, Send

METRICS_PATH = "/metrics"
# The domain's writes, by what was written; `outcome` says created, updated or replaced.
WRITES = {
    "assessment": ("omi.assessment.writes", "Assessment versions stored (PUT and import rows)."),
    "questionnaire": ("omi.questionnaire.writes", "Questionnaire returns stored."),
}
WriteKind = Literal["assessment", "questionnaire"]


@dataclass(frozen=True)
class Metrics:
    provider: MeterProvider
    registry: CollectorRegistry
    writes: dict[str, Counter]
    # The engines whose pools db.client.connections.usage reads, by pool name (the newest engine of a name).
    pools: dict[str, AsyncEngine] = field(default_factory=dict)


def create_metrics(service_name: str) -> Metrics:
    registry = CollectorRegistry(auto_describe=True)
    readers: list[MetricReader] = [PrometheusMetricReader(registry=registry)]
    # Exemplars (a measurement's trace) only where an exporter carries them: the Prometheus text has none, and
    # sampling them costs on every measurement.
    exemplars: ExemplarFilter = AlwaysOffExemplarFilter()
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
        exemplars = TraceBasedExemplarFilter()
    provider = MeterProvider(
        metric_readers=readers, resource=Resource.create({"service.name": service_name}), exemplar_filter=exemplars
    )
    meter = provider.get_meter("omi")
    writes = {kind: meter.create_counter(name, unit="{write}", description=text) for kind, (name, text) in WRITES.items()}
    return Metrics(provider, registry, writes)


def count_writes(app: FastAPI, kind: WriteKind, outcome: str, count: int = 1) -> None:
    """Count ``count`` writes of a kind (assessment, questionnaire) with their outcome."""
    if count:
        app.state.metrics.writes[kind].add(count, {"outcome": outcome})


class MetricsEndpoint:
    """Answers GET /metrics with the service's Prometheus text, before routing (so no route can shadow it)."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != METRICS_PATH or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        body = generate_latest(self.registry)
        headers = [(b"content-type", CONTENT_TYPE_LATEST.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
