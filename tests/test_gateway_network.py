"""The gateway over real sockets: an unreachable service is 503, a slow one 504, both problem+json;
run as in production (its own uvicorn process), one Date on every answer and no Server."""

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from tests.helpers import ADMIN, AUTH, PROBLEM
from tests.processes import free_port

SLOW_SECONDS = 6
ROOT = Path(__file__).resolve().parents[1]


def slow_service() -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/inspections")
    async def slow() -> dict:
        await asyncio.sleep(SLOW_SECONDS)
        return {}

    @app.get("/api/v1/cases/echo")
    async def echo(request: Request) -> Response:
        response = JSONResponse({k: v for k, v in request.headers.items()})
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        return response

    @app.get("/api/v1/cases/sized/{size}")
    async def sized(size: int) -> Response:
        return Response(b"x" * size, media_type="text/plain")

    @app.get("/readyz")
    async def ready() -> dict:
        return {"status": "ready"}

    return app


@asynccontextmanager
async def served(app: FastAPI, **config: Any) -> AsyncIterator[str]:
    """``app`` under a real uvicorn on a free loopback port, in this event loop; yields its URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1, **config)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def slow_url() -> AsyncIterator[str]:
    async with served(slow_service()) as url:
        yield url


async def gateway(services: dict[str, str]) -> tuple[LifespanManager, httpx.AsyncClient]:
    settings = GatewaySettings(services=services, connect_timeout=1.0, read_timeout=0.5, retry_after=7, auth=AUTH)
    manager = LifespanManager(create_app(settings))
    await manager.__aenter__()
    return manager, httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://gateway", headers=ADMIN)


def everything_at(url: str, **overrides: str) -> dict[str, str]:
    return {name: overrides.get(name, url) for name in ("cases", "questionnaires", "scoring", "reporting")}


async def test_unreachable_service_is_503_with_retry_after() -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # bound then released: nothing listens
    manager, client = await gateway(everything_at(closed))
    try:
        started = time.monotonic()
        response = await client.get("/api/v1/inspections")
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["retry-after"] == "7"
        assert "cases" in response.json()["detail"]
        assert elapsed < 5, "answered within the connect timeout, not after hanging"
        not_ready = await client.get("/readyz")
        assert not_ready.status_code == 503 and "cases" in not_ready.json()["detail"]
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/openapi.json")).status_code == 503
    finally:
        await client.aclose()
        await manager.__aexit__(None, None, None)


async def test_slow_service_is_504(slow_url: str) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    manager, client = await gateway(everything_at(closed, cases=slow_url))
    try:
        started = time.monotonic()
        response = await client.get("/api/v1/inspections")
        assert response.status_code == 504
        assert response.headers["content-type"] == PROBLEM
        assert "cases" in response.json()["detail"]
        assert time.monotonic() - started < SLOW_SECONDS / 2, "the read timeout cut the wait short"
    finally:
        await client.aclose()
        await manager.__aexit__(None, None, None)


async def test_unrouted_path_is_404_problem() -> None:
    manager, client = await gateway(everything_at(f"http://127.0.0.1:{free_port()}"))
    try:
        response = await client.get("/api/v1/nothing-here")
        assert response.status_code == 404 and response.headers["content-type"] == PROBLEM
    finally:
        await client.aclose()
        await manager.__aexit__(None, None, None)


async def test_proxy_keeps_repeated_headers_and_no_state_between_callers(slow_url: str) -> None:
    manager, client = await gateway(everything_at(slow_url))
    try:
        first = await client.get("/api/v1/cases/echo", headers={"Connection": "x-secret", "X-Secret": "s", "X-Request-ID": "r-1"})
        assert first.headers.get_list("set-cookie") == ["a=1; Path=/; SameSite=lax", "b=2; Path=/; SameSite=lax"]
        seen = first.json()
        assert "x-secret" not in seen, "headers named by Connection are hop-by-hop"
        assert seen["x-request-id"] == "r-1" and seen["traceparent"].startswith("00-")
        assert "x-forwarded-for" in seen and seen["x-forwarded-proto"] == "http"
        second = await httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://gateway").get(
            "/api/v1/cases/echo"
        )
        assert "cookie" not in second.json(), "a cookie set for one caller never rides on another's request"
    finally:
        await client.aclose()
        await manager.__aexit__(None, None, None)


@pytest.mark.parametrize("size", [0, 5_000, 2_000_000])
async def test_answers_small_and_large_come_back_whole_through_a_real_server(slow_url: str, size: int) -> None:
    # Small answers are read whole and sent with their length; large ones stream through (chunked).
    settings = GatewaySettings(services=everything_at(slow_url), auth=AUTH)
    async with served(create_app(settings)) as url, httpx.AsyncClient(base_url=url, headers=ADMIN) as client:
        got = await client.get(f"/api/v1/cases/sized/{size}")
        assert got.status_code == 200 and got.content == b"x" * size
        assert got.headers.get("content-length") == (str(size) if size < 1_000_000 else None)


async def test_bodies_over_the_limit_are_413(slow_url: str) -> None:
    settings = GatewaySettings(services=everything_at(slow_url), max_body_bytes=1000, auth=AUTH)
    async with LifespanManager(create_app(settings)) as manager:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://gateway", headers=ADMIN)
        declared = await client.post("/api/v1/cases/echo", content=b"x" * 2000)
        assert declared.status_code == 413 and declared.headers["content-type"] == PROBLEM

        async def chunks():
            for _ in range(5):
                yield b"y" * 400

        streamed = await client.post("/api/v1/cases/echo", content=chunks())
        assert streamed.status_code == 413


# A service whose clock says 2008: the gateway must pass its Date on, not stamp its own beside it.
SERVICE_DATE = "Mon, 09 Jun 2008 09:00:00 GMT"


def dated_service() -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/inspections")
    async def listing() -> Response:
        return JSONResponse({"items": []}, headers={"Date": SERVICE_DATE, "Server": "omi-cases/behind-the-gateway"})

    return app


@asynccontextmanager
async def gateway_process(services: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    """`python -m services.gateway` as production starts it (its own uvicorn), until it answers /healthz."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMI_")} | {
        "OMI_GATEWAY_PORT": str(port),
        "OMI_GATEWAY_LOG_LEVEL": "WARNING",
        "OMI_AUTH_KEYS_DIR": str(AUTH.keys_dir),
        **{f"OMI_GATEWAY_SERVICES__{name.upper()}": url for name, url in services.items()},
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.gateway", cwd=ROOT, env=env, stdout=subprocess.DEVNULL
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10, headers=ADMIN) as client:
            for _ in range(300):  # up to 30 s to start
                assert process.returncode is None, "the gateway process exited"
                try:
                    await client.get("/healthz")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            yield client
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


async def test_a_gateway_process_sends_one_date_and_no_server() -> None:
    async with (
        served(dated_service(), date_header=False, server_header=False) as service_url,
        gateway_process(everything_at(service_url)) as client,
    ):
        proxied = await client.get("/api/v1/inspections")
        assert proxied.status_code == 200 and proxied.json() == {"items": []}
        assert proxied.headers.get_list("date") == [SERVICE_DATE], "the service's Date, and only it"
        assert "server" not in proxied.headers
        for own in (await client.get("/healthz"), await client.get("/api/v1/nothing-here")):
            (date,) = own.headers.get_list("date")  # the gateway's own answers carry its Date, once
            assert parsedate_to_datetime(date).tzinfo is not None
            assert "server" not in own.headers


async def test_a_proxied_answer_of_a_real_service_has_one_date(slow_url: str) -> None:
    async with gateway_process(everything_at(slow_url)) as client:
        proxied = await client.get("/api/v1/cases/echo")
        assert proxied.status_code == 200
        assert len(proxied.headers.get_list("date")) == 1 and "server" not in proxied.headers
