"""HTTP method semantics on every service and the gateway: a 405 names every method of the path in `Allow`,
HEAD works wherever GET does; an over-long URL is the gateway's own 414 problem, through a real server."""

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import SERVICES, Stack, plan_inspection
from tests.processes import Process, sqlite_urls, suite

PROBLEM = "application/problem+json"


async def test_wrong_method_names_every_method_of_the_path(gw: httpx.AsyncClient) -> None:
    for method in ("OPTIONS", "DELETE", "PUT"):
        response = await gw.request(method, "/api/v1/inspections")
        assert response.status_code == 405, (method, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["type"] == "urn:omi:problem:method-not-allowed"
        assert response.headers["allow"] == "GET, HEAD, POST"
    inspection = await plan_inspection(gw)
    item = await gw.delete(f"/api/v1/inspections/{inspection['id']}")
    assert item.status_code == 405 and item.headers["allow"] == "GET, HEAD, PATCH"
    gateway_own = await gw.post("/healthz")
    assert gateway_own.status_code == 405 and gateway_own.headers["allow"] == "GET, HEAD"


async def test_head_answers_wherever_get_does(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    for url in ("/api/v1/inspections", f"/api/v1/inspections/{inspection['id']}", "/api/v1/frameworks/omi-2008", "/healthz"):
        got, head = await gw.get(url), await gw.head(url)
        assert head.status_code == got.status_code == 200, (url, head.text)
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers.get("etag") == got.headers.get("etag")
    missing = await gw.head("/api/v1/inspections/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.content == b""


@pytest.mark.parametrize("service", SERVICES)
async def test_every_service_answers_head_and_allow(stack: Stack, service: str) -> None:
    async with stack.service(service) as client:
        assert (await client.head("/healthz")).status_code == 200
        wrong = await client.put("/readyz")
        assert wrong.status_code == 405 and wrong.headers["allow"] == "GET, HEAD"
        assert wrong.headers["content-type"] == PROBLEM


@pytest.fixture(scope="module")
def gateway_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    folder: Path = tmp_path_factory.mktemp("gateway")
    gateway = suite(folder, sqlite_urls(folder), services=())["gateway"]
    gateway.start()
    yield gateway
    gateway.stop()


@pytest.mark.parametrize("length", [20_000, 70_000, 200_000])
def test_over_long_url_is_a_414_problem_through_the_real_server(gateway_process: Process, length: int) -> None:
    # http.client, not httpx: httpx itself refuses to send a URL over 64 KiB.
    url = httpx.URL(gateway_process.url)
    connection = http.client.HTTPConnection(url.host, url.port, timeout=10)
    try:
        connection.request("GET", "/api/v1/inspections?q=" + "a" * length)
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 414, body
    assert response.headers["content-type"] == PROBLEM
    assert body["type"] == "urn:omi:problem:uri-too-long"


def test_head_and_allow_through_the_real_server(gateway_process: Process) -> None:
    head = httpx.head(f"{gateway_process.url}/healthz", timeout=10)
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 0
