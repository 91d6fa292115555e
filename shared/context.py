"""Per-request context: the request id, carried in a context variable, and the middleware that sets it."""

import re
import uuid
from contextvars import ContextVar, Token

from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_propagator = TraceContextTextMapPropagator()


def incoming_request_id(value: str | None) -> str:
    """Keep a caller's request id when it is sane; otherwise mint one."""
    if value and _VALID_ID.match(value):
        return value
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Pure ASGI (not BaseHTTPMiddleware): sets the request id, echoes it and the trace context on the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        token, echoed = enter_request(scope, headers.get(b"x-request-id", b""))

        async def send_with_context(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": with_context(message.get("headers", []), echoed)}
            await send(message)

        try:
            await self.app(scope, receive, send_with_context)
        finally:
            request_id_var.reset(token)


def enter_request(scope: Scope, sent_id: bytes) -> tuple[Token[str | None], list[tuple[bytes, bytes]]]:
    """The request's id (the caller's ``sent_id`` when sane) set in the context (the token resets it), and the
    headers that echo it and the trace context on the answer."""
    request_id = incoming_request_id(sent_id.decode("latin-1") or None)
    token = request_id_var.set(request_id)
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attribute("http.request_id", request_id)
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    # Kept on the request too: a 500 is answered outside this middleware, where the context is gone.
    scope.setdefault("state", {})["context_headers"] = {REQUEST_ID_HEADER: request_id, **carrier}
    echoed = [(b"x-request-id", request_id.encode()), *((k.encode(), v.encode()) for k, v in carrier.items())]
    return token, echoed


def with_context(headers: list[tuple[bytes, bytes]], echoed: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """An answer's headers with the request's id and trace context (``echoed``) in place of any it had."""
    return [(k, v) for k, v in headers if k.lower() not in (b"x-request-id", b"traceparent")] + echoed
