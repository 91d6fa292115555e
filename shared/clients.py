"""Clients for calling other services: a pooled aiohttp transport behind the httpx API, traced, with the request id."""

from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx
from httpx_aiohttp import AiohttpTransport
from opentelemetry.sdk.trace import TracerProvider

from shared.context import REQUEST_ID_HEADER, request_id_var
from shared.telemetry import traced_transport


async def _forward_request_id(request: httpx.Request) -> None:
    request_id = request_id_var.get()
    if request_id and REQUEST_ID_HEADER not in request.headers:
        request.headers[REQUEST_ID_HEADER] = request_id


def service_client(
    base_url: str,
    provider: TracerProvider,
    timeout: httpx.Timeout | float,
    transport: httpx.AsyncBaseTransport | None = None,
    max_connections: int = 200,
) -> httpx.AsyncClient:
    # httpx's own pool is slow under concurrency (encode/httpx#3215); aiohttp's is not.
    inner = transport if transport is not None else AiohttpTransport(limits=httpx.Limits(max_connections=max_connections))
    return httpx.AsyncClient(
        base_url=base_url,
        # Calls carry no client state between requests: a cookie one caller's answer set must never
        # ride along on another caller's request.
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        transport=traced_transport(inner, provider),
        timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
        event_hooks={"request": [_forward_request_id]},
    )
