"""The gateway's edges: security headers on every response, CORS from settings, rate limits per token subject
(in memory, and in the real Redis when one runs on the machine)."""

import socket
import uuid

import httpx
import pytest
from asgi_lifespan import LifespanManager

from services.gateway.app import create_app as create_gateway
from services.gateway.settings import GatewaySettings
from tests.conftest import SERVICES, Stack
from tests.helpers import bearer

REDIS = ("127.0.0.1", 6379)


async def test_every_response_carries_security_headers(stack: Stack, gw: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/api/v1/inspections", "/docs", "/api/v1/nowhere"):
        response = await gw.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "no-referrer", path
        assert "strict-transport-security" not in response.headers  # not behind TLS
    docs = await gw.get("/docs")
    assert "default-src 'self'" in docs.headers["content-security-policy"]
    async with httpx.AsyncClient(transport=stack.transport, base_url="http://gateway.test") as anonymous:
        assert (await anonymous.get("/api/v1/inspections")).headers["x-content-type-options"] == "nosniff"


def _gateway(stack: Stack, **settings: object) -> LifespanManager:
    unreachable = {s: "http://127.0.0.1:9" for s in SERVICES}
    gateway = GatewaySettings(services=unreachable, connect_timeout=0.5, auth=stack.auth, **settings)
    return LifespanManager(create_gateway(gateway))


async def test_cors_allows_only_the_configured_origins_and_hsts_behind_tls(stack: Stack) -> None:
    async with _gateway(stack, cors_origins=["https://app.example"], behind_tls=True) as manager:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://gateway")
        preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "PUT"}
        asking = preflight | {"Access-Control-Request-Headers": "authorization"}
        allowed = await client.options("/api/v1/inspections", headers=asking)
        assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "https://app.example"
        refused = await client.options("/api/v1/inspections", headers=preflight | {"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in refused.headers
        health = await client.get("/healthz")
        assert health.headers["strict-transport-security"].startswith("max-age=")
    async with _gateway(stack) as manager:  # none by default
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://gateway")
        response = await client.get("/healthz", headers={"Origin": "https://app.example"})
        assert "access-control-allow-origin" not in response.headers


def _redis_running() -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(REDIS) == 0


def _storages() -> list[str | None]:
    return [None, f"async+redis://{REDIS[0]}:{REDIS[1]}/0"] if _redis_running() else [None]


@pytest.mark.parametrize("redis_url", _storages(), ids=lambda url: "redis" if url else "memory")
async def test_rate_limits_count_per_subject_and_answer_429_with_retry_after(stack: Stack, redis_url: str | None) -> None:
    prefix = f"omi-test-{uuid.uuid4().hex}"  # a key space of this run only
    async with _gateway(stack, rate_limit="3/minute", rate_limit_redis_url=redis_url, rate_limit_key_prefix=prefix) as manager:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://gateway")
        alice = bearer(stack.auth, f"alice-{prefix}", "inspector")
        bob = bearer(stack.auth, f"bob-{prefix}", "inspector")
        statuses = [(await client.get("/api/v1/inspections", headers=alice)).status_code for _ in range(3)]
        assert statuses == [503, 503, 503]  # counted (the services are not there)
        limited = await client.get("/api/v1/inspections", headers=alice)
        assert limited.status_code == 429 and limited.headers["content-type"] == "application/problem+json"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert (await client.get("/api/v1/inspections", headers=bob)).status_code == 503  # bob has his own count
        assert (await client.get("/healthz")).status_code == 200  # open paths are not counted
