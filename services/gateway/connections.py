"""The gateway's HTTP/1.1 connections to the services, behind httpx's transport API: keep-alive connections pooled
per service, a request's head and held body written in one piece, answers parsed by httptools, and every failure
raised as the httpx kind that says whether the request left (connect errors and timeouts: never reached; read
errors: broken off after it went out; read timeouts: unanswered). aiohttp's client behind the httpx API cost the
gateway more CPU per proxied request than the rest of its forwarding (py-spy: about a quarter of its samples)."""

import asyncio
import ssl
import time
from collections import deque
from collections.abc import Callable

import httptools
import httpx

# A pooled connection idle this long is closed, not reused: the services' uvicorn closes its side after 5 s
# (timeout_keep_alive), and a request written as it does so would be lost.
IDLE_SECONDS = 4.0
# Answer bytes held unread beyond which reading from the service pauses (a large answer goes at the client's pace).
HIGH_WATER = 256 * 1024
Origin = tuple[str, str, int]


class _Connection(asyncio.Protocol):
    """One connection to a service and the answer being read on it (httptools' callbacks fill it in)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, origin: Origin, lost: Callable[["_Connection"], None]) -> None:
        self.loop = loop
        self.origin = origin
        self.lost = lost
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[None] | None = None
        self.writable: asyncio.Future[None] | None = None
        self.closed = False
        self.pooled = False
        self.counted = True
        self.idle_since = 0.0
        self.reading_paused = False
        self.error: httpx.TransportError | None = None
        self.reset()

    def reset(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.headers_done = False
        self.eof_ends = False
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.complete = False
        self.keep_alive = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is a Transport in all but its base class

    def data_received(self, data: bytes) -> None:
        if self.pooled:  # nothing was asked: a service talking out of turn is not to be trusted with the next request
            self.close()
            return
        try:
            self.parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade) as exc:
            self.error = httpx.RemoteProtocolError(f"the service's answer is not valid HTTP/1.1: {exc}")
            self.close()
        if self.buffered > HIGH_WATER and not self.reading_paused and self.transport is not None:
            self.reading_paused = True
            self.transport.pause_reading()
        self.wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.pooled:
            self.lost(self)
        self.wake()
        if self.writable is not None and not self.writable.done():
            self.writable.set_result(None)

    def pause_writing(self) -> None:
        self.writable = self.loop.create_future()

    def resume_writing(self) -> None:
        if self.writable is not None and not self.writable.done():
            self.writable.set_result(None)
        self.writable = None

    # httptools callbacks
    def on_message_begin(self) -> None:
        self.headers = []

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if status < 200:  # an interim answer (100 Continue): the real one follows
            return
        self.status = status
        self.headers_done = True
        names = {name.lower() for name, _ in self.headers}
        self.eof_ends = b"content-length" not in names and b"transfer-encoding" not in names

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)

    def on_message_complete(self) -> None:
        if self.headers_done:
            self.complete = True
            self.keep_alive = self.parser.should_keep_alive()

    # used by the request
    def wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def changed(self, within: float) -> None:
        """Until the service sends something or the connection ends; ReadTimeout after ``within`` seconds."""
        waiter = self.waiter = self.loop.create_future()
        timer = self.loop.call_later(within, _expire, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self.waiter = None

    def take(self) -> bytes:
        chunk = self.chunks.popleft()
        self.buffered -= len(chunk)
        if self.reading_paused and self.buffered <= HIGH_WATER // 2 and self.transport is not None:
            self.reading_paused = False
            self.transport.resume_reading()
        return chunk

    def write(self, data: bytes) -> None:
        if self.closed or self.transport is None or self.transport.is_closing():
            raise httpx.WriteError("the connection to the service closed while the request was written")
        self.transport.write(data)

    async def drained(self, within: float) -> None:
        writable = self.writable
        if writable is None:
            return
        try:
            async with asyncio.timeout(within):
                await writable
        except TimeoutError:
            raise httpx.WriteTimeout("the service took no more of the request in time") from None

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(httpx.ReadTimeout("the service did not answer in time"))


def _head(request: httpx.Request) -> bytes:
    """The request line and headers (httpx has set Host and the body's framing)."""
    parts = [request.method.encode("ascii"), b" ", request.url.raw_path, b" HTTP/1.1\r\n"]
    for name, value in request.headers.raw:
        parts += (name, b": ", value, b"\r\n")
    parts.append(b"\r\n")
    return b"".join(parts)


class _Answer(httpx.AsyncByteStream):
    """The answer's body as it arrives; closing it gives the connection back (kept if the answer was read to its end)."""

    def __init__(self, connections: "ServiceConnections", connection: _Connection, timeout: float, head: bool) -> None:
        self.connections = connections
        self.connection = connection
        self.timeout = timeout
        self.head = head
        self.ended = False
        self.released = False

    async def __aiter__(self):  # type: ignore[no-untyped-def]  # an async generator of bytes, as httpx's own streams
        connection = self.connection
        while True:
            while connection.chunks:
                yield connection.take()
            if connection.complete or self.head:
                break
            if connection.error is not None:
                raise connection.error
            if connection.closed:
                if connection.eof_ends:  # a body that ends with the connection
                    break
                raise httpx.ReadError("the connection to the service broke before the end of its answer")
            await connection.changed(self.timeout)
        self.ended = True

    async def aclose(self) -> None:
        if self.released:
            return
        self.released = True
        connection = self.connection
        # A HEAD's answer has no body, whatever its Content-Length says: httptools would wait for one, so not reused.
        kept = self.ended and connection.complete and connection.keep_alive and not self.head
        self.connections.release(connection, kept)


class ServiceConnections(httpx.AsyncBaseTransport):
    """Keep-alive HTTP/1.1 (and HTTPS) connections to the services, at most ``max_connections`` open at once."""

    def __init__(self, max_connections: int) -> None:
        self.max_connections = max_connections
        self.open = 0
        self.idle: dict[Origin, list[_Connection]] = {}
        self.waiting: deque[asyncio.Future[None]] = deque()
        self.tls: ssl.SSLContext | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        connect = timeouts.get("connect") or 5.0
        read = timeouts.get("read") or 30.0
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"cannot send to {scheme}: URLs")
        origin = (scheme, url.host, url.port or (443 if scheme == "https" else 80))
        connection = await self._acquire(origin, connect, timeouts.get("pool") or connect)
        try:
            await self._send(connection, request, timeouts.get("write") or read)
            while not connection.headers_done:
                if connection.error is not None:
                    raise connection.error
                if connection.closed:
                    raise httpx.ReadError("the service closed the connection before answering")
                await connection.changed(read)
        except BaseException:
            self.release(connection, False)
            raise
        return httpx.Response(
            connection.status,
            headers=connection.headers,
            stream=_Answer(self, connection, read, head=request.method == "HEAD"),
            extensions={"http_version": b"HTTP/1.1"},
        )

    @staticmethod
    async def _send(connection: _Connection, request: httpx.Request, within: float) -> None:
        head = _head(request)
        stream = request.stream
        if isinstance(stream, httpx.ByteStream):  # a body held whole: one write with the head
            connection.write(head + request.content)
            return
        chunked = request.headers.get("transfer-encoding") == "chunked"
        async for chunk in stream:  # type: ignore[union-attr]  # the proxy's and clients' streams are async
            if chunk:
                connection.write(head + (b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk))
                head = b""
                await connection.drained(within)
        connection.write(head + (b"0\r\n\r\n" if chunked else b""))

    async def _acquire(self, origin: Origin, connect: float, pool: float) -> _Connection:
        loop = asyncio.get_running_loop()
        while True:
            idle = self.idle.get(origin)
            now = time.monotonic()
            while idle:
                connection = idle.pop()
                connection.pooled = False
                if not connection.closed and now - connection.idle_since < IDLE_SECONDS:
                    return connection
                self._drop(connection)
            if self.open < self.max_connections:
                break
            free: asyncio.Future[None] = loop.create_future()
            self.waiting.append(free)
            try:
                async with asyncio.timeout(pool):
                    await free
            except TimeoutError:
                raise httpx.PoolTimeout("no connection to the service was free in time") from None
            finally:
                if free in self.waiting:
                    self.waiting.remove(free)
        self.open += 1
        scheme, host, port = origin
        if scheme == "https" and self.tls is None:
            self.tls = ssl.create_default_context()
        try:
            async with asyncio.timeout(connect):
                _, connection = await loop.create_connection(
                    lambda: _Connection(loop, origin, self._lost), host, port, ssl=self.tls if scheme == "https" else None
                )
        except TimeoutError:
            self._freed()
            raise httpx.ConnectTimeout(f"no connection to {host}:{port} in time") from None
        except OSError as exc:
            self._freed()
            raise httpx.ConnectError(f"cannot connect to {host}:{port}: {exc}") from exc
        except BaseException:
            self._freed()
            raise
        return connection

    def release(self, connection: _Connection, kept: bool) -> None:
        """A request is done with ``connection``: pooled again when ``kept`` and still open, else closed."""
        if kept and not connection.closed:
            connection.reset()
            connection.idle_since = time.monotonic()
            connection.pooled = True
            self.idle.setdefault(connection.origin, []).append(connection)
            self._wake_one()
            return
        self._drop(connection)

    def _lost(self, connection: _Connection) -> None:
        idle = self.idle.get(connection.origin, [])
        if connection in idle:
            idle.remove(connection)
        self._drop(connection)

    def _drop(self, connection: _Connection) -> None:
        connection.pooled = False
        connection.close()
        if connection.counted:
            connection.counted = False
            self._freed()

    def _freed(self) -> None:
        self.open -= 1
        self._wake_one()

    def _wake_one(self) -> None:
        while self.waiting:
            free = self.waiting.popleft()
            if not free.done():
                free.set_result(None)
                return

    async def aclose(self) -> None:
        for idle in self.idle.values():
            for connection in idle:
                connection.pooled = False
                self._drop(connection)
        self.idle.clear()
