"""The gateway's endpoints: health, readiness, the merged OpenAPI document and the proxy."""

import asyncio
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import fastapi_offline
import httpx
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from services.gateway.logic import openapi, proxy, security_doc
from services.gateway.logic.upstream import Upstream, failure_kind, replayable
from shared.context import request_id_var
from shared.errors import DomainError
from shared.problems import problem_response
from shared.tokens import public_key_set

router = APIRouter()
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@router.get("/healthz", summary="The gateway process is up", tags=["health"])
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Ready: the gateway and every service it routes to", tags=["health"])
async def readyz(request: Request) -> Response:
    state = request.app.state

    async def ready(service: str) -> bool:
        try:
            response = await state.client.get(
                f"{state.settings.services[service]}/readyz", timeout=state.settings.connect_timeout
            )
        except httpx.HTTPError:
            return False
        ok: bool = response.status_code == 200
        return ok

    names = sorted(state.routes.services())
    results = dict(zip(names, await asyncio.gather(*(ready(n) for n in names)), strict=True))
    not_ready = [n for n, ok in results.items() if not ok]
    if not_ready:
        return problem_response(
            "not-ready", f"not ready: {', '.join(not_ready)}", headers={"Retry-After": str(state.settings.retry_after)}
        )
    return JSONResponse({"status": "ready", "services": {n: "ready" for n in names}})


async def _merged_openapi(request: Request) -> dict[str, Any]:
    state = request.app.state
    cached = state.openapi_cache
    if cached and time.monotonic() - cached[0] < state.settings.openapi_cache_seconds:
        document: dict[str, Any] = cached[1]
        return document
    names = sorted(state.routes.services())
    responses = await asyncio.gather(
        *(state.client.get(f"{state.settings.services[n]}/openapi.json") for n in names), return_exceptions=True
    )
    documents = {}
    for name, response in zip(names, responses, strict=True):
        if isinstance(response, BaseException) or response.status_code != 200:
            raise LookupError(name)
        documents[name] = response.json()
    # The gateway's own endpoints (health, readiness) return plain objects: paths, no schemas.
    gateway_paths = {path: item for path, item in request.app.openapi()["paths"].items() if path in ("/healthz", "/readyz")}
    merged = security_doc.secure(openapi.merge(documents, gateway_paths, request.app.version))
    state.openapi_cache = (time.monotonic(), merged)
    return merged


@router.get("/openapi.json", include_in_schema=False)
async def openapi_document(request: Request) -> Response:
    try:
        return JSONResponse(await _merged_openapi(request))
    except LookupError as exc:
        return problem_response(
            "service-unavailable",
            f"the {exc.args[0]} service did not give its OpenAPI document",
            headers={"Retry-After": str(request.app.state.settings.retry_after)},
        )


@router.get("/.well-known/jwks.json", include_in_schema=False)
async def jwks(request: Request) -> Response:
    """The public keys of the embedded issuer (none in OIDC mode: the provider publishes its own)."""
    auth = request.app.state.settings.auth
    if auth.mode != "embedded":
        return problem_response("not-found", "tokens come from an OIDC provider: see its JWKS")
    return JSONResponse(public_key_set(auth.keys_dir), headers={"Cache-Control": "max-age=300"})


# Swagger UI and ReDoc from the gateway itself (fastapi-offline's copies), never a CDN: an inspectorate's
# network may be closed, and a Content-Security-Policy would block third-party scripts anyway.
DOCS_ASSETS = "/docs/assets"
DOCS_ASSETS_DIRECTORY = Path(fastapi_offline.__file__).parent / "static"
TITLE = "Offender Management Inspection API"


@router.get("/docs", include_in_schema=False)
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=TITLE,
        swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
        # Swagger UI would otherwise send the document to an online validator for its badge.
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/redoc", include_in_schema=False)
async def redoc() -> HTMLResponse:
    return get_redoc_html(
        openapi_url="/openapi.json",
        title=TITLE,
        redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
        redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png",
        with_google_fonts=False,
    )


def _too_large(limit: int) -> Response:
    return problem_response("body-too-large", f"request bodies are limited to {limit} bytes")


# An answer up to this size is read whole and sent in one message; a larger one streams through.
WHOLE_ANSWER_BYTES = 256 * 1024


class Forward:
    """Every /api/v1 request, sent on to the service that owns its path. A plain ASGI endpoint, not a
    FastAPI one: the proxy reads no parameters and no body model, and an answer goes back as it came."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.answer(scope, receive, send, *parsed_headers(scope))

    async def answer(
        self, scope: Scope, receive: Receive, send: Send, headers: Mapping[str, str], items: list[tuple[str, str]]
    ) -> None:
        """The request forwarded and its answer sent back; ``headers`` and ``items``: its headers parsed (parsed_headers)."""
        request = Request(scope, receive)
        try:
            response = await self._forward(request, headers, items)
        except DomainError as exc:  # answered here as the problem handlers would: Forward runs outside them
            response = problem_response(
                exc.problem.kind, exc.detail, errors=exc.errors, headers=exc.headers, instance=scope["path"]
            )
        await response(scope, receive, send)

    async def _forward(self, request: Request, headers: Mapping[str, str], items: list[tuple[str, str]]) -> Response:
        state = request.app.state
        scope = request.scope
        try:
            path = proxy.upstream_path(scope.get("raw_path") or scope["path"].encode())
        except proxy.UnsafePath:
            return problem_response("unsafe-path", "the path has dot segments, encoded slashes or NULs")
        service = state.routes.service_for(scope["path"])
        if service is None:
            return problem_response("not-found", f"no service serves {scope['path']}")
        query = scope.get("query_string", b"").decode("latin-1")
        url = state.settings.services[service] + path + (f"?{query}" if query else "")
        has_body = "content-length" in headers or "transfer-encoding" in headers
        declared = headers.get("content-length", "0")
        if not declared.isdigit():
            return problem_response("bad-length", "Content-Length is not a number")
        if int(declared) > state.settings.max_body_bytes:
            return _too_large(state.settings.max_body_bytes)
        # A small body of declared length is read whole (sent on with its length, in one piece; a keyed write's can
        # then be sent again); others stream, sent once.
        whole = has_body and "transfer-encoding" not in headers and int(declared) <= state.settings.retry_max_body_bytes
        held = whole and "idempotency-key" in headers
        body = proxy.LimitedBody(request.stream(), state.settings.max_body_bytes)
        try:
            content = await request.body() if whole else body if has_body else None
        except ClientDisconnect:  # nobody is left to answer
            return problem_response("bad-request", "the request body was cut short")
        client = scope.get("client")
        try:
            upstream_request = httpx.Request(
                scope["method"],
                url,
                headers=proxy.request_headers(
                    items,
                    client[0] if client else None,
                    scope.get("scheme", "http"),
                    headers.get("host", ""),
                    request_id_var.get(),
                ),
                content=content,
            )
        except httpx.InvalidURL:
            return problem_response("unsafe-path", "the path or query cannot be forwarded")
        try:
            upstream = await state.upstream.send(
                service,
                upstream_request,
                replayable=replayable(scope["method"], headers, body_held=held),
                client_fault=lambda: body.exceeded,
            )
        except (DomainError, httpx.TransportError, ValueError):
            if body.exceeded:
                return _too_large(body.limit)
            raise
        answer_headers = proxy.response_headers(upstream.headers.multi_items())
        length = upstream.headers.get("content-length", "")
        if length.isdigit() and int(length) <= WHOLE_ANSWER_BYTES:
            return await self._whole(state.upstream, service, upstream, answer_headers, head=scope["method"] == "HEAD")
        response = StreamingResponse(
            upstream.aiter_raw(), status_code=upstream.status_code, background=BackgroundTask(upstream.aclose)
        )
        response.raw_headers = answer_headers
        return response

    @staticmethod
    async def _whole(
        upstream: Upstream, service: str, answer: httpx.Response, headers: list[tuple[bytes, bytes]], *, head: bool
    ) -> Response:
        """A small answer read whole (raw: still encoded as the service sent it), then sent in one message with
        its length (a HEAD's is the service's: that of the GET it stands for)."""
        try:
            content = b"".join([chunk async for chunk in answer.aiter_raw()])
        except httpx.TransportError as exc:
            raise upstream.told(service, failure_kind(exc) or "bad-gateway", exc) from exc
        finally:
            await answer.aclose()
        response = Response(content, status_code=answer.status_code)
        length = answer.headers["content-length"] if head else str(len(content))
        response.raw_headers = [*headers, (b"content-length", length.encode("latin-1"))]
        return response


PROXIED = "/api/v1/"
PROXY_ROUTE = PROXIED + "{path:path}"
forward = Forward()
# A Starlette route with an ASGI app as its endpoint (FastAPI would wrap a function in its request handling): what
# the router would do with these paths, and what the span's route and a 405's Allow are taken from.
router.routes.append(Route(PROXY_ROUTE, forward, methods=METHODS, include_in_schema=False))


def parsed_headers(scope: Scope) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """A request's headers as text: the first of each name (as Starlette's Headers reads them), and all in order."""
    items = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]]
    return dict(reversed(items)), items


def is_proxied(scope: Scope) -> bool:
    """An HTTP request the proxy answers (any other method on these paths is the router's 405)."""
    return scope["path"].startswith(PROXIED) and scope["method"] in METHODS
