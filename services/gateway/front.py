"""The way in of a proxied request (/api/v1): what the gateway's eight middleware layers do for every request (its
Date, request id and trace context, security headers, the concurrency and URL limits, the token check, the rate
limit), done in their order in one callable, with the request's headers parsed once and one wrapper of `send`, then
the forward. The layers outside them (the 500 handler, the server span, CORS) are the app's own, reused as they are.
The eight layers, each with its `send` wrapper and its own reading of the headers, cost about a tenth of a proxied
request's CPU (py-spy), and FastAPI's dispatch around them more."""

import copy
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.api import Forward, forward, is_proxied, parsed_headers
from services.gateway.dates import DateMiddleware, dated
from services.gateway.logic.edges import SecurityHeadersMiddleware, secured
from services.gateway.logic.limits import RateLimit, RateLimitMiddleware
from shared.auth import AuthMiddleware, Caller, caller_var, identify, is_protected, private
from shared.context import enter_request, request_id_var, with_context
from shared.limits import ConcurrencyLimit, UrlLengthLimit
from shared.metrics import MetricsEndpoint
from shared.tokens import TokenVerifier


class ProxiedFront:
    """Pure ASGI: the edge of a proxied request, then Forward. Built from the app's own layers (the same limits,
    counters, verifier and rate limit: a request counts the same whichever way it came in)."""

    def __init__(
        self,
        forward: Forward,
        concurrency: ConcurrencyLimit,
        url_length: UrlLengthLimit,
        verifier: TokenVerifier,
        rate: RateLimit,
        behind_tls: bool,
    ) -> None:
        self.forward = forward
        self.concurrency = concurrency
        self.url_length = url_length
        self.verifier = verifier
        self.rate = rate
        self.behind_tls = behind_tls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers, items = parsed_headers(scope)
        sent_id = next((value for name, value in reversed(scope["headers"]) if name == b"x-request-id"), b"")
        context_token, echoed = enter_request(scope, sent_id)
        tls = self.behind_tls or scope.get("scheme") == "https"
        by_link = False

        async def sending(message: Message) -> None:
            # The layers' edits in their order, innermost first: a link's privacy, security headers, context, Date.
            if message["type"] == "http.response.start":
                answer = message.get("headers", [])
                answer = secured(private(answer) if by_link else answer, tls)
                message = {**message, "headers": dated(with_context(answer, echoed))}
            await send(message)

        concurrency = self.concurrency
        try:
            if concurrency.in_progress >= concurrency.limit:
                await concurrency.refusal()(scope, receive, sending)
                return
            concurrency.in_progress += 1
            try:
                refusal = self.url_length.refusal(scope)
                if refusal is not None:
                    await refusal(scope, receive, sending)
                    return
                if scope["method"] == "OPTIONS" or not is_protected(scope["path"]):
                    await self.forward.answer(scope, receive, sending, headers, items)
                    return
                caller, by_link = await identify(self.verifier, scope, headers)
                if not isinstance(caller, Caller):
                    await caller(scope, receive, sending)
                    return
                caller_token = caller_var.set(caller)
                try:
                    refusal = await self.rate.refusal(caller.principal.subject)
                    if refusal is not None:
                        await refusal(scope, receive, sending)
                        return
                    await self.forward.answer(scope, receive, sending, headers, items)
                finally:
                    caller_var.reset(caller_token)
            finally:
                concurrency.in_progress -= 1
        finally:
            request_id_var.reset(context_token)


def _layers(app: ASGIApp) -> list[Any]:
    layers = []
    layer: Any = app
    while layer is not None:
        layers.append(layer)
        layer = getattr(layer, "app", None)
    return layers


def proxied_stack(stack: ASGIApp) -> ASGIApp:
    """The app's middleware stack for proxied requests: its layers outside the gateway's own (the 500 handler, the
    server span, CORS; not /metrics), copied around a ProxiedFront made of the gateway's own layers."""
    layers = _layers(stack)
    found = {type(layer): layer for layer in layers}
    front: ASGIApp = ProxiedFront(
        forward,
        found[ConcurrencyLimit],
        found[UrlLengthLimit],
        found[AuthMiddleware].verifier,
        found[RateLimitMiddleware].rate,
        found[SecurityHeadersMiddleware].behind_tls,
    )
    outer = layers[: layers.index(found[DateMiddleware])]
    for layer in reversed(outer):
        if isinstance(layer, MetricsEndpoint):
            continue
        wrapped = copy.copy(layer)
        wrapped.app = front
        front = wrapped
    return front


class Gateway(FastAPI):
    """The gateway's app: a proxied request goes through proxied_stack, past FastAPI's routing and the layers it has
    no use for; every other request through FastAPI's stack as usual."""

    proxied: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_proxied(scope):
            if self.proxied is None:
                if self.middleware_stack is None:
                    self.middleware_stack = self.build_middleware_stack()
                self.proxied = proxied_stack(self.middleware_stack)
            scope["app"] = self
            await self.proxied(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
