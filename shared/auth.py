"""Who is calling, per request: where a request's bearer token is (the one extraction every service and the
gateway use), the ASGI middleware that verifies it on every protected path, and the context it leaves for
access checks, audit and onward calls."""

import re
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from urllib.parse import unquote_plus
from uuid import UUID

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import Unauthenticated
from shared.problems import problem_response
from shared.tokens import Principal, TokenVerifier

# Paths that need a token; everything else (health, readiness, the OpenAPI document, docs, JWKS) is open.
PROTECTED_PREFIXES = ("/api/", "/internal/")
CHALLENGE = 'Bearer error="invalid_token"'
# The only requests that may carry the token as `?access_token=` (RFC 6750 2.3): reading a report, so a browser
# can open a published report's link; the access check refuses it on a report not published (shared.access).
LINK_PATH = re.compile(r"/api/v1/inspections/[^/]+/report")
LINK_METHODS = frozenset({"GET", "HEAD"})
LINK_PARAMETER = "access_token"
# A response to a request whose token is in its URL is not cached anywhere nor its URL sent on as a referrer.
LINK_RESPONSE_HEADERS = {b"cache-control": b"private, no-store", b"referrer-policy": b"no-referrer"}


def link_token(path: str, method: str, query: str) -> str | None:
    """The `access_token` query parameter, where a request may carry one (one value only), else None."""
    if method.upper() not in LINK_METHODS or not LINK_PATH.fullmatch(path):
        return None
    # The name as written, not decoded: `access%5Ftoken` would pass a token by the masking in shared.privacy.
    values = [
        unquote_plus(value) for name, _, value in (pair.partition("=") for pair in query.split("&")) if name == LINK_PARAMETER
    ]
    return values[0] if len(values) == 1 and values[0] else None


def bearer_token(headers: Mapping[str, str], path: str, method: str, query: str) -> str | None:
    """The request's bearer token: the `Authorization: Bearer` header's, or where there is no header and the
    request is a report read, the `access_token` query parameter's; None when there is none to verify."""
    authorization = next((value for name, value in headers.items() if name.lower() == "authorization"), None)
    if authorization is None:
        return link_token(path, method, query)
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@dataclass
class Caller:
    """The verified caller of this request, the Authorization header to pass on to other services, whether
    the token came in the URL (a report link), and what the access check found: the matrix action and scope
    the request was allowed as (the audit records the action, lists filter by the scope) and the inspection
    it is about (the audit attributes every record of the request to it)."""

    principal: Principal
    authorization: str
    by_link: bool = False
    action: str | None = field(default=None)
    scope: str | None = field(default=None)
    inspection_id: UUID | None = field(default=None)


caller_var: ContextVar[Caller | None] = ContextVar("caller", default=None)


def current_caller() -> Caller | None:
    return caller_var.get()


def is_protected(path: str, prefixes: Sequence[str] = PROTECTED_PREFIXES) -> bool:
    return path.startswith(tuple(prefixes))


class AuthMiddleware:
    """Pure ASGI: 401 problem+json with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750) for a
    protected path without a valid token; otherwise the caller is known for the rest of the request."""

    def __init__(self, app: ASGIApp, verifier: TokenVerifier) -> None:
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS" or not is_protected(scope["path"]):
            await self.app(scope, receive, send)
            return
        caller, by_link = await identify(self.verifier, scope, Headers(scope=scope))
        if not isinstance(caller, Caller):
            await caller(scope, receive, _private(send) if by_link else send)
            return
        token = caller_var.set(caller)
        try:
            await self.app(scope, receive, _private(send) if by_link else send)
        finally:
            caller_var.reset(token)


async def identify(verifier: TokenVerifier, scope: Scope, headers: Mapping[str, str]) -> tuple[Caller | Response, bool]:
    """The verified caller of a protected request (``headers``: its headers, the first of each name) or its 401, and
    whether the token came in the URL (a report link: the answer is then private)."""
    query = scope.get("query_string", b"").decode("latin-1")
    bearer = bearer_token(headers, scope["path"], scope["method"], query)
    by_link = bearer is not None and "authorization" not in headers
    authorization = f"Bearer {bearer}" if bearer is not None else None
    try:
        principal = await verifier.verify(authorization)
    except Unauthenticated as exc:
        return problem_response(exc.problem.kind, exc.detail, headers={"WWW-Authenticate": CHALLENGE}), by_link
    return Caller(principal, authorization or "", by_link), by_link


def private(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """An answer's headers with LINK_RESPONSE_HEADERS in place of any it had of those names."""
    return [(k, v) for k, v in headers if k.lower() not in LINK_RESPONSE_HEADERS] + _LINK_HEADERS


_LINK_HEADERS = list(LINK_RESPONSE_HEADERS.items())


def _private(send: Send) -> Send:
    """The response with LINK_RESPONSE_HEADERS in place of any it had of those names."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": private(message.get("headers", []))}
        await send(message)

    return sending
