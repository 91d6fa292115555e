"""Per-request context: the request id, carried in a context variable, and the middleware that sets it."""

import re
import uuid
from contextvars import ContextVar

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
        request_id = incoming_request_id(headers.get(b"x-request-id", b"").decode("latin-1") or None)
        token = request_id_var.set(request_id)
        span = trace.get_current_span()
        if span.is_recording():
            span.set_attribute("http.request_id", request_id)
        carrier: dict[str, str] = {}
        _propagator.inject(carrier)
        # Kept on the request too: a 500 is answered outside this middleware, where the context is gone.
        scope.setdefault("state", {})["context_headers"] = {REQUEST_ID_HEADER: request_id, **carrier}

        async def send_with_context(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(b"x-request-id", request_id.encode())]
                extra += [(k.encode(), v.encode()) for k, v in carrier.items()]
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in (b"x-request-id", b"traceparent")]
                message = {**message, "headers": kept + extra}
            await send(message)

        try:
            await self.app(scope, receive, send_with_context)
        finally:
            request_id_var.reset(token)
