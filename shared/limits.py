"""Limits on what a process takes in, refused at once with problem+json: requests in progress (past the limit
`503 overloaded` with `Retry-After`, rather than a queue that grows until every caller times out), URL length
and request body size."""

import re
from collections.abc import Collection, Sequence

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import ContentTooLarge
from shared.memory import after_request_body
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
            await self.refusal()(scope, receive, send)
            return
        self.in_progress += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_progress -= 1

    def refusal(self) -> Response:
        """The 503 of a request past the limit."""
        return problem_response(
            "overloaded",
            f"more than {self.limit} requests in progress; try again shortly",
            headers={"Retry-After": str(self.retry_after)},
        )


class UrlLengthLimit:
    """Pure ASGI: a path and query longer than ``limit`` bytes is `414 uri-too-long` problem+json, answered
    before any routing (the server's own limit, well above this, answers in plain text)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self.refusal(scope) if scope["type"] == "http" else None
        await (refusal or self.app)(scope, receive, send)

    def refusal(self, scope: Scope) -> Response | None:
        """The 414 of a request whose path and query are too long, else None."""
        length = len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string", b""))
        if length <= self.limit:
            return None
        return problem_response("uri-too-long", f"the path and query are {length} bytes; at most {self.limit} are read")


class BodySizeLimit:
    """Pure ASGI: a request body over ``limit`` bytes (``larger`` gives paths with a limit of their own: the bulk
    imports) is `413 body-too-large` problem+json: at once when Content-Length declares it, else as soon as the
    bytes read pass it, so an oversized body is never held whole in memory, let alone parsed or stored. As a
    request ends, the size of its body tells shared.memory whether to give the memory it freed back at once."""

    def __init__(self, app: ASGIApp, limit: int, larger: Sequence[tuple[re.Pattern[str], int]] = ()) -> None:
        self.app = app
        self.limit = limit
        self.larger = tuple(larger)

    def limit_of(self, path: str) -> int:
        return next((limit for pattern, limit in self.larger if pattern.match(path)), self.limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope["path"])
        detail = f"the request body is larger than {limit:,} bytes, the most {scope['path']} reads"
        declared = next((value for name, value in scope["headers"] if name == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await problem_response("body-too-large", detail)(scope, receive, send)
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise ContentTooLarge(detail)  # the route reading the body answers it as problem+json
            return message

        await self.app(scope, receive_within_limit, send)
        after_request_body(received)
