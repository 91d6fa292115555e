"""The gateway's own HTTP/1.1 connections to the services (services.gateway.connections), on real sockets: kept
alive and reused, a streamed body sent chunked, a HEAD's answer read without a body, at most so many connections
(the rest wait, then time out), and answers cut short, ended by the connection or preceded by 100 Continue."""

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from services.gateway.connections import ServiceConnections
from tests.test_gateway_network import served


def service(release: asyncio.Event) -> FastAPI:
    """``/held`` answers once ``release`` is set."""
    app = FastAPI()

    @app.get("/port")
    async def port(request: Request) -> dict[str, int]:
        assert request.client is not None
        return {"port": request.client.port}

    @app.post("/digest")
    async def digest(request: Request) -> dict[str, object]:
        body = await request.body()
        return {"length": len(body), "sha": hashlib.sha256(body).hexdigest(), "chunked": "transfer-encoding" in request.headers}

    @app.head("/sized")
    async def sized() -> Response:
        return Response(headers={"content-length": "1000"})

    @app.get("/held")
    async def held() -> dict[str, str]:
        await release.wait()
        return {"status": "released"}

    @app.get("/short")
    async def short() -> Response:
        return Response(b"x" * 10, headers={"content-length": "100"})

    return app


@pytest.fixture
async def release() -> asyncio.Event:
    return asyncio.Event()


@pytest.fixture
async def url(release: asyncio.Event) -> AsyncIterator[str]:
    async with served(service(release)) as base:
        yield base


def client_of(connections: ServiceConnections, base: str, **timeouts: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=connections, base_url=base, timeout=httpx.Timeout(5, **timeouts))


async def test_connections_are_kept_alive_and_reused(url: str) -> None:
    connections = ServiceConnections(max_connections=10)
    async with client_of(connections, url) as client:
        ports = [(await client.get("/port")).json()["port"] for _ in range(3)]
    assert len(set(ports)) == 1, ports
    assert connections.open == 0, "closed with the client"


async def test_a_streamed_body_goes_chunked_and_arrives_whole(url: str) -> None:
    pieces = [bytes([n]) * 70_000 for n in range(5)]

    async def body() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    async with client_of(ServiceConnections(max_connections=10), url) as client:
        got = (await client.post("/digest", content=body())).json()
        held = (await client.post("/digest", content=b"".join(pieces))).json()
    whole = b"".join(pieces)
    assert got == {"length": len(whole), "sha": hashlib.sha256(whole).hexdigest(), "chunked": True}
    assert held == got | {"chunked": False}


async def test_a_head_answer_has_no_body_whatever_its_length(url: str) -> None:
    async with client_of(ServiceConnections(max_connections=10), url, read=1) as client:
        head = await client.head("/sized")
        assert head.status_code == 200 and head.headers["content-length"] == "1000" and head.content == b""
        assert (await client.get("/port")).status_code == 200, "the connection after a HEAD is not left mid-answer"


async def test_past_max_connections_a_request_waits_then_times_out(url: str, release: asyncio.Event) -> None:
    async with client_of(ServiceConnections(max_connections=1), url, pool=0.3) as client:
        first = asyncio.create_task(client.get("/held"))
        await asyncio.sleep(0.2)
        with pytest.raises(httpx.PoolTimeout):
            await client.get("/port")
        waiting = asyncio.create_task(client.get("/port"))
        await asyncio.sleep(0.05)
        release.set()
        assert (await first).json() == {"status": "released"}
        assert (await waiting).status_code == 200, "served once the connection was free"


async def test_an_answer_cut_short_is_a_read_error(url: str) -> None:
    async with client_of(ServiceConnections(max_connections=10), url) as client:
        with pytest.raises(httpx.ReadError):
            await client.get("/short")
        assert (await client.get("/port")).status_code == 200


@asynccontextmanager
async def raw_service(*pieces: bytes) -> AsyncIterator[str]:
    """A server that reads a request head, writes ``pieces`` as they are (a moment apart, so each arrives on its own)
    and closes the connection."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        for piece in pieces:
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.05)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()


@pytest.mark.parametrize(
    ("answer", "body"),
    [
        ([b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nended by ", b"the connection"], b"ended by the connection"),
        ([b"HTTP/1.1 100 Continue\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"], b"ok"),
        ([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", b"2\r\nde\r\n0\r\n\r\n"], b"abcde"),
    ],
)
async def test_answers_ended_by_the_connection_interim_or_chunked_are_read_whole(answer: list[bytes], body: bytes) -> None:
    async with raw_service(*answer) as base, client_of(ServiceConnections(max_connections=10), base) as client:
        response = await client.get("/")
        assert response.status_code == 200 and response.content == body


async def test_an_answer_that_is_not_http_is_a_protocol_error() -> None:
    async with raw_service(b"SMTP ready\r\n\r\n") as base, client_of(ServiceConnections(max_connections=10), base) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/")
