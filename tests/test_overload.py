"""Overload: past a service's limit of requests in progress, `503 overloaded` with Retry-After at once;
health and readiness still answer; once a request finishes, the next is served."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from services.cases.app import create_app
from services.cases.settings import CasesSettings
from tests.helpers import ADMIN, AUTH

PROBLEM = "application/problem+json"
JSON = "application/json"


async def test_requests_past_the_limit_are_503_at_once(tmp_path: Path) -> None:
    settings = CasesSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/cases.db", max_concurrent_requests=2, auth=AUTH)
    release = asyncio.Event()

    async def held_body() -> AsyncIterator[bytes]:
        await release.wait()  # the request stays in progress until released
        yield b'{"area": "X", "country": "england", "fieldwork_start": "2008-06-09", "framework_id": "omi-2008"}'

    app = create_app(settings)
    async with LifespanManager(app) as manager:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://cases", headers=ADMIN)
        held = [
            asyncio.create_task(client.post("/api/v1/inspections", content=held_body(), headers={"content-type": JSON}))
            for _ in range(2)
        ]
        for _ in range(1000):  # until both are in the service's hands
            if all_in_progress(app, 2):
                break
            await asyncio.sleep(0.01)
        refused = await client.get("/api/v1/inspections")
        assert refused.status_code == 503 and refused.headers["content-type"] == PROBLEM
        assert refused.json()["type"] == "urn:omi:problem:overloaded"
        assert refused.headers["retry-after"] == "1"
        assert (await client.get("/healthz")).status_code == 200, "probes are exempt"
        assert (await client.get("/readyz")).status_code == 200
        release.set()
        # Served (scoring, which checks the framework, is not running here: that is its own 503).
        served = [r.json().get("type") for r in await asyncio.gather(*held)]
        assert "urn:omi:problem:overloaded" not in served, served
        assert (await client.get("/api/v1/inspections")).status_code == 200, "served again once below the limit"


def all_in_progress(app: object, count: int) -> bool:
    """The concurrency limit's own count of requests in progress has reached ``count``."""
    layer = getattr(app, "middleware_stack", None)
    while layer is not None:
        if type(layer).__name__ == "ConcurrencyLimit":
            return layer.in_progress >= count
        layer = getattr(layer, "app", None)
    return False
