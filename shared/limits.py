"""Limits on what a process takes in, refused at once with problem+json: requests in progress (past the limit
`503 overloaded` with `Retry-After`, rather than a queue that grows until every caller times out) and URL length."""

from collections.abc import Collection

from starlette.types import ASGIApp, Receive, Scope, Send

from shared.problems import problem_response

# Probes must answer while the service is busy, or the orchestrator would restart a working process.
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class ConcurrencyLimit:
    """Pure ASGI (not BaseHTTPMiddleware, which would buffer and add a task per request)."""

    def __init__(self, app: ASGIApp, limit: int, retry_after: int = 1, exempt: Collection[str] = EXEMPT_PATHS) -> None:
        self.app = app
        self.limit = limit
        self.retry_after = retry_after
        self.exempt = frozenset(exempt)
        self.in_progress = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        if self.in_progress >= self.limit:
            response = problem_response(
                "overloaded",
                f"more than {self.limit} requests in progress; try again shortly",
                headers={"Retry-After": str(self.retry_after)},
            )
            await response(scope, receive, send)
            return
        self.in_progress += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_progress -= 1


class UrlLengthLimit:
    """Pure ASGI: a path and query longer than ``limit`` bytes is `414 uri-too-long` problem+json, answered
    before any routing (the server's own limit, well above this, answers in plain text)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string", b""))
            if length > self.limit:
                detail = f"the path and query are {length} bytes; at most {self.limit} are read"
                response = problem_response("uri-too-long", detail)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
