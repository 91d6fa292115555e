"""Who is calling, per request: the ASGI middleware that verifies the bearer token on every protected path
(in every service and at the gateway), and the context it leaves for access checks, audit and onward calls."""

from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Receive, Scope, Send

from shared.errors import Unauthenticated
from shared.problems import problem_response
from shared.tokens import Principal, TokenVerifier

# Paths that need a token; everything else (health, readiness, the OpenAPI document, docs, JWKS) is open.
PROTECTED_PREFIXES = ("/api/", "/internal/")
CHALLENGE = 'Bearer error="invalid_token"'


@dataclass
class Caller:
    """The verified caller of this request, the raw Authorization header to pass on to other services,
    and the matrix action and scope the request was allowed as (set by the access check: the audit records
    the action, lists filter by the scope)."""

    principal: Principal
    authorization: str
    action: str | None = field(default=None)
    scope: str | None = field(default=None)


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
        authorization = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"), None)
        try:
            principal = await self.verifier.verify(authorization)
        except Unauthenticated as exc:
            response = problem_response(exc.problem.kind, exc.detail, headers={"WWW-Authenticate": CHALLENGE})
            await response(scope, receive, send)
            return
        token = caller_var.set(Caller(principal, authorization or ""))
        try:
            await self.app(scope, receive, send)
        finally:
            caller_var.reset(token)
