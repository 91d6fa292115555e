"""The HTTP transport for calls between services: aiohttp's pool behind the httpx API, with its failures told
apart as httpx's own kinds, so a caller knows whether its request may have reached the other service.

httpx-aiohttp maps every aiohttp `ClientConnectionError` (a server that disconnected mid-answer, a reset
connection) to `httpx.ConnectTimeout`, which says "never reached". Here only a failure to connect is a
connect error; a connection that broke after the request went out is a read error, and a missing answer
is a read timeout.
"""

from collections.abc import AsyncIterator

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport


def _told_apart(exc: httpx.TransportError, request: httpx.Request) -> httpx.TransportError:
    """The httpx error that says what happened to the aiohttp call behind ``exc``."""
    cause = exc.__cause__
    kind: type[httpx.TransportError]
    if isinstance(cause, aiohttp.ClientConnectorError):
        kind = httpx.ConnectError  # refused, unresolvable: the request never left
    elif isinstance(cause, aiohttp.ConnectionTimeoutError):
        kind = httpx.ConnectTimeout  # no connection (or no pooled one) in time: never left either
    elif isinstance(cause, aiohttp.ServerTimeoutError):
        kind = httpx.ReadTimeout  # connected and sent, no answer in time
    elif isinstance(cause, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError):
        kind = httpx.ReadError  # connected, and the connection broke: the service may have acted
    else:
        return exc
    if type(exc) is kind:
        return exc
    return kind(str(exc) or type(cause).__name__, request=request)


class _ToldApartStream(httpx.AsyncByteStream):
    """The response body, whose read failures are told apart the same way."""

    def __init__(self, inner: httpx.AsyncByteStream, request: httpx.Request) -> None:
        self._inner = inner
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except httpx.TransportError as exc:
            raise _told_apart(exc, self._request) from exc.__cause__

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        except httpx.TransportError as exc:
            raise _told_apart(exc, self._request) from exc.__cause__


class ServiceTransport(AiohttpTransport):
    """AiohttpTransport whose errors say whether the request was never sent, broken off, or unanswered."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await super().handle_async_request(request)
        except httpx.TransportError as exc:
            raise _told_apart(exc, request) from exc.__cause__
        if isinstance(response.stream, httpx.AsyncByteStream):
            response.stream = _ToldApartStream(response.stream, request)
        return response
