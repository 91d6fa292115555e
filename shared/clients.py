"""Calls to other services: a pooled aiohttp transport behind the httpx API (shared.transport), traced, with the request id, and
the one function every call goes through (`call_service`), which turns failures into domain errors."""

from collections.abc import Collection, Mapping
from typing import Any

import httpx
from opentelemetry.sdk.trace import TracerProvider

from shared.auth import current_caller, link_token
from shared.context import REQUEST_ID_HEADER, request_id_var
from shared.errors import CATALOGUE, TYPE_BASE, DomainError, UpstreamFailed, UpstreamTimeout, UpstreamUnavailable
from shared.schemas.common import Problem
from shared.telemetry import traced_transport
from shared.transport import ServiceTransport


async def _forward_request_id(request: httpx.Request) -> None:
    request_id = request_id_var.get()
    if request_id and REQUEST_ID_HEADER not in request.headers:
        request.headers[REQUEST_ID_HEADER] = request_id


async def _forward_authorization(request: httpx.Request) -> None:
    """A service acting for a caller calls on with the caller's own token: it can do only what they may. A request
    carrying its token in its URL (the gateway passing a report link on) goes as it came, checked as a link again."""
    caller = current_caller()
    if caller is None or "authorization" in request.headers:
        return
    if caller.by_link and link_token(request.url.path, request.method, request.url.query.decode("latin-1")) is not None:
        return
    request.headers["Authorization"] = caller.authorization


class _NoCookies(httpx.Cookies):
    """A jar that never takes a cookie: calls carry no client state between requests (a cookie one caller's
    answer set must never ride along on another caller's request), and no answer's Set-Cookie is parsed."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


def service_client(
    base_url: str,
    provider: TracerProvider,
    timeout: httpx.Timeout | float,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    # httpx's own pool is slow under concurrency (encode/httpx#3215); aiohttp's is not.
    inner = transport if transport is not None else ServiceTransport(limits=httpx.Limits(max_connections=200))
    client = httpx.AsyncClient(
        base_url=base_url,
        transport=traced_transport(inner, provider),
        timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
        event_hooks={"request": [_forward_request_id, _forward_authorization]},
    )
    client._cookies = _NoCookies()  # the constructor would copy any jar given into a plain one
    return client


def _passed_through(service: str, response: httpx.Response) -> DomainError:
    """The other service's problem, raised here as the same kind, so the caller hears what it said."""
    try:
        body = Problem.model_validate_json(response.content)
        kind = body.type.removeprefix(TYPE_BASE)
    except ValueError:
        body, kind = None, ""
    if body is None or kind not in CATALOGUE or kind == "internal-error" or CATALOGUE[kind].status != response.status_code:
        return UpstreamFailed(f"the {service} service answered {response.status_code}")
    headers = {"Retry-After": response.headers["retry-after"]} if "retry-after" in response.headers else None
    return DomainError.of_kind(kind, body.detail, errors=body.errors, headers=headers)


async def call_service(
    client: httpx.AsyncClient,
    service: str,
    method: str,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
    headers: Mapping[str, str] | None = None,
    expect: Collection[int] = (200,),
) -> httpx.Response:
    """One call to another service: its answer when the status is one of ``expect``, otherwise a domain
    error. Not reached → UpstreamUnavailable (safe to retry); no answer in time → UpstreamTimeout;
    a problem document → the same problem, typed; anything else → UpstreamFailed. ``headers``: e.g.
    If-Match or Idempotency-Key. Timeouts are the client's (settings); the request id, the caller's
    token and trace context ride along (hooks and tracing)."""
    try:
        response = await client.request(method, url, params=params, json=json, headers=headers)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise UpstreamUnavailable(f"the {service} service cannot be reached") from exc
    except httpx.TimeoutException as exc:
        raise UpstreamTimeout(f"the {service} service did not answer in time") from exc
    except httpx.TransportError as exc:
        raise UpstreamFailed(f"the connection to the {service} service broke") from exc
    if response.status_code in expect:
        return response
    raise _passed_through(service, response)
