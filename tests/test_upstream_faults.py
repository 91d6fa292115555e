"""What the gateway and call_service tell a caller when a service fails, on real sockets: a service that took
the request and died is 502 (it may have acted), one not listening is 503 with Retry-After; the circuit
breaker answers 503 at once after repeated connect failures and closes after one good probe; each failure is
logged (rate-limited) and marks the span as an error."""

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from prometheus_client.parser import text_string_to_metric_families

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from shared.clients import call_service, service_client
from shared.errors import UpstreamFailed, UpstreamUnavailable
from shared.service import Wiring
from shared.telemetry import tracer_provider
from tests.helpers import ADMIN, AUTH
from tests.processes import Process, free_port, stand_in

PROBLEM = "application/problem+json"
SERVICES = ("cases", "questionnaires", "scoring", "reporting")


@pytest.fixture
def dying(tmp_path: Path) -> AsyncIterator[Process]:
    process = stand_in("dying_service", tmp_path)
    process.start()
    yield process
    process.stop()


async def gateway_client(
    url: str, exporter: InMemorySpanExporter | None = None, **settings: object
) -> AsyncIterator[httpx.AsyncClient]:
    """The real gateway (in process, its app at ``client.app``) with every service at ``url``."""
    wiring = Wiring(span_processors=[SimpleSpanProcessor(exporter)] if exporter else [])
    app = create_app(
        GatewaySettings(services=dict.fromkeys(SERVICES, url), connect_timeout=1, retry_after=7, auth=AUTH, **settings), wiring
    )
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://gateway", headers=ADMIN) as client,
    ):
        client.app = app  # type: ignore[attr-defined]
        yield client


async def test_a_service_that_dies_holding_the_request_is_502_then_503(dying: Process) -> None:
    async for client in gateway_client(dying.url):
        broken = await client.post("/api/v1/inspections", json={"area": "X"})
        assert broken.status_code == 502, broken.text
        assert broken.headers["content-type"] == PROBLEM
        assert broken.json()["type"] == "urn:omi:problem:bad-gateway"
        assert "retry-after" not in broken.headers, "it may have acted on the request: not 'safe to retry'"
        assert dying.popen is not None and dying.popen.wait(timeout=10) == -9

        gone = await client.post("/api/v1/inspections", json={"area": "X"})
        assert gone.status_code == 503 and gone.headers["retry-after"] == "7"
        assert gone.json()["type"] == "urn:omi:problem:service-unavailable"


async def test_call_service_tells_broken_from_unreached(dying: Process) -> None:
    provider = tracer_provider("test")
    async with service_client(dying.url, provider, 5) as client:
        with pytest.raises(UpstreamFailed):
            await call_service(client, "cases", "POST", "/api/v1/inspections", json={})
    async with service_client(f"http://127.0.0.1:{free_port()}", provider, 5) as client:
        with pytest.raises(UpstreamUnavailable) as unreached:
            await call_service(client, "cases", "GET", "/api/v1/inspections")
    assert "Retry-After" in unreached.value.headers


class Switchable:
    """A service on a fixed port that can be started after the gateway has found it missing; its
    /api/v1/inspections waits for ``release`` so a probe can be held in flight."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.release = asyncio.Event()
        self.calls = 0
        app = FastAPI()

        @app.get("/api/v1/inspections")
        async def inspections() -> dict[str, list[str]]:
            self.calls += 1
            await self.release.wait()
            return {"items": []}

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self.release.set()
        self.server.should_exit = True
        if self.task is not None:
            await self.task


async def breaker_state(client: httpx.AsyncClient, upstream: str) -> float:
    """The gateway's `omi.gateway.breaker.state` gauge for one upstream, read from its /metrics."""
    text = (await client.get("/metrics")).text
    return next(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "omi_gateway_breaker_state" and sample.labels.get("upstream") == upstream
    )


async def test_breaker_fails_fast_then_one_probe_closes_it() -> None:
    port = free_port()
    service = Switchable(port)
    async for client in gateway_client(f"http://127.0.0.1:{port}", breaker_failures=3, breaker_cooldown_seconds=0.5):
        try:
            first = await client.get("/api/v1/inspections")  # three tries, three connect failures: open
            assert first.status_code == 503 and "cannot be reached" in first.json()["detail"]
            fast = await client.get("/api/v1/inspections")
            assert fast.status_code == 503 and "not sending it requests" in fast.json()["detail"]
            assert await breaker_state(client, "cases") == 2, "open, in the gateway's metrics"
            assert 1 <= int(fast.headers["retry-after"]) <= 1, "the rest of the cool-down, in whole seconds"

            await service.start()
            await asyncio.sleep(0.6)  # the cool-down passes
            probe = asyncio.create_task(client.get("/api/v1/inspections"))
            while service.calls == 0:  # noqa: ASYNC110 - the probe reaching the service is the event
                await asyncio.sleep(0.01)
            # The probe waits inside the service: everyone else is still refused at once.
            others = await client.get("/api/v1/inspections")
            assert others.status_code == 503 and "not sending" in others.json()["detail"]
            assert service.calls == 1
            service.release.set()
            assert (await probe).status_code == 200
            assert (await client.get("/api/v1/inspections")).status_code == 200, "closed after the probe"
            assert await breaker_state(client, "cases") == 0
        finally:
            await service.stop()


async def test_upstream_failures_are_logged_rate_limited_and_mark_the_span(caplog: pytest.LogCaptureFixture) -> None:
    exporter = InMemorySpanExporter()
    caplog.set_level(logging.WARNING, logger="services.gateway.logic.upstream")
    async for client in gateway_client(f"http://127.0.0.1:{free_port()}", exporter, breaker_failures=1000):
        app_log = client.app.state.upstream.failures  # type: ignore[attr-defined]
        app_log.interval = 3600
        for number in range(4):
            response = await client.post("/api/v1/inspections", json={}, headers={"X-Request-ID": f"r-{number}"})
            assert response.status_code == 503
        lines = [r for r in caplog.records if r.name == "services.gateway.logic.upstream"]
        assert len(lines) == 1 and lines[0].levelno == logging.WARNING
        assert (lines[0].upstream, lines[0].failure, lines[0].request_id) == ("cases", "service-unavailable", "r-0")
        assert len(lines[0].trace_id) == 32
        app_log.interval = 0
        await client.post("/api/v1/inspections", json={}, headers={"X-Request-ID": "r-last"})
        last = [r for r in caplog.records if r.name == "services.gateway.logic.upstream"][-1]
        assert (last.request_id, last.suppressed) == ("r-last", 3)
        served = [s for s in exporter.get_finished_spans() if s.kind.name == "SERVER"]
        assert served and all(s.status.status_code is StatusCode.ERROR for s in served)
        # error.type is the instrumentation's (the status, by the stable HTTP conventions); the kind is ours.
        assert {s.attributes.get("omi.upstream.failure") for s in served} == {"service-unavailable"}
        assert {s.attributes.get("error.type") for s in served} == {"503"}


@pytest.mark.parametrize(
    ("method", "headers"), [("GET", {}), ("POST", {"Idempotency-Key": "k-1"})], ids=["safe method", "keyed write"]
)
async def test_requests_safe_to_repeat_are_sent_again(dying: Process, method: str, headers: dict[str, str]) -> None:
    async for client in gateway_client(dying.url):
        # The first try breaks the connection (the service dies holding it); the repeat finds nothing
        # listening, so the client hears 503, where a request sent once hears 502 (the test above).
        body = {"json": {"area": "X"}} if method == "POST" else {}
        response = await client.request(method, "/api/v1/inspections", headers=headers, **body)
        assert response.status_code == 503, response.text
        assert response.json()["type"] == "urn:omi:problem:service-unavailable"
