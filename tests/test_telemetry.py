"""Spans leave the process only when an OTLP endpoint is configured, and then over OTLP/HTTP; the pool and the
requests in flight are measured."""

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import generate_latest
from sqlalchemy import text

from shared.db import create_engine
from shared.privacy import RedactingSpanProcessor
from shared.server_spans import ServerSpans
from shared.telemetry import instrument_engine, metrics_of, tracer_provider


class _Collector(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, str, int]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        self.rfile.read(length)
        _Collector.received.append((self.path, self.headers.get("content-type", ""), length))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_spans_are_exported_over_otlp_http_when_configured(monkeypatch) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
        provider = tracer_provider("probe")
        with provider.get_tracer("test").start_as_current_span("work"):
            pass
        assert provider.force_flush(5_000)
        provider.shutdown()
    finally:
        server.shutdown()
    assert _Collector.received and _Collector.received[0][0] == "/v1/traces"
    assert _Collector.received[0][1] == "application/x-protobuf" and _Collector.received[0][2] > 0


def test_nothing_is_exported_by_default(monkeypatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    provider = tracer_provider("probe")
    # Only the processor masking report-link tokens in URLs (shared.privacy), which exports nothing.
    assert [type(p) for p in provider._active_span_processor._span_processors] == [RedactingSpanProcessor]


async def test_sql_spans_follow_the_setting_and_the_pool_is_measured_either_way(tmp_path) -> None:
    spans = InMemorySpanExporter()
    usage = {}
    for statements in (False, True):
        provider = tracer_provider(f"probe-{statements}", [SimpleSpanProcessor(spans)])
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/probe-{statements}.db")
        instrument_engine(engine, provider, statements=statements)
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            served = generate_latest(metrics_of(provider).registry).decode()  # one connection in use
        await engine.dispose()
        usage[statements] = {
            line.split('state="')[1].split('"')[0]: float(line.rsplit(" ", 1)[1])
            for line in served.splitlines()
            if line.startswith("db_client_connections_usage")
        }
    by_service = {span.resource.attributes["service.name"] for span in spans.get_finished_spans()}
    assert by_service == {"probe-True"}, "a span per statement only where the setting asks for them"
    assert usage[False] == usage[True] == {"idle": 0.0, "used": 1.0}, usage


async def test_active_requests_are_those_in_flight() -> None:
    provider = tracer_provider("probe-active")
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow(scope, receive, send) -> None:
        entered.set()
        await release.wait()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = ServerSpans(slow, provider, metrics_of(provider).provider, routes=[])

    def active() -> dict[str, float]:
        served = generate_latest(metrics_of(provider).registry).decode()
        return {
            line.split('http_request_method="')[1].split('"')[0]: float(line.rsplit(" ", 1)[1])
            for line in served.splitlines()
            if line.startswith("http_server_active_requests{")
        }

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as client:
        pending = asyncio.create_task(client.put("/thing", content=b"x"))
        await entered.wait()
        assert active() == {"PUT": 1.0}
        release.set()
        assert (await pending).status_code == 204
    assert active() == {"PUT": 0.0}


async def test_a_method_the_conventions_do_not_know_is_other() -> None:
    exported = InMemorySpanExporter()
    provider = tracer_provider("probe-methods", [SimpleSpanProcessor(exported)])

    async def answer(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 405, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = ServerSpans(answer, provider, metrics_of(provider).provider, routes=[])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as client:
        for method in ("BREW", "WHEN", "GET"):
            await client.request(method, "/pot")
    spans = exported.get_finished_spans()
    assert [(s.name, s.attributes["http.request.method"]) for s in spans] == [
        ("HTTP", "_OTHER"),
        ("HTTP", "_OTHER"),
        ("GET", "GET"),
    ]
    assert [s.attributes.get("http.request.method_original") for s in spans] == ["BREW", "WHEN", None]
    served = generate_latest(metrics_of(provider).registry).decode()
    labels = {
        line.split('http_request_method="')[1].split('"')[0] for line in served.splitlines() if "http_request_method=" in line
    }
    assert labels == {"_OTHER", "GET"}  # a client's made-up methods add no labels


async def test_an_engine_made_again_is_the_one_measured(tmp_path) -> None:
    provider = tracer_provider("probe-engines")

    def usage() -> dict[str, float]:
        served = generate_latest(metrics_of(provider).registry).decode()
        lines = [line for line in served.splitlines() if line.startswith("db_client_connections_usage")]
        return {line.split('state="')[1].split('"')[0]: float(line.rsplit(" ", 1)[1]) for line in lines}

    seen = []
    for _ in range(2):  # a lifespan run twice: each makes and instruments its engine, then disposes of it
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/probe.db")
        instrument_engine(engine, provider, statements=False)
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            seen.append(usage())
        await engine.dispose()
    assert seen == [{"idle": 0.0, "used": 1.0}] * 2, seen
