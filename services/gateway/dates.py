"""One Date on every answer of the gateway: the service's on a proxied answer, the gateway's own on the rest.

Date is a singleton field (RFC 9110 6.6.1). uvicorn would prepend its own to every answer, a proxied
one included, so the gateway runs with uvicorn's Date (and Server) off and this middleware adds a
Date only where the answer has none.
"""

from email.utils import formatdate

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class DateMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_dated(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": dated(list(message.get("headers", [])))}
            await send(message)

        await self.app(scope, receive, send_dated)


def dated(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` with the gateway's Date appended where they have none."""
    if not any(name.lower() == b"date" for name, _ in headers):
        headers.append((b"date", formatdate(usegmt=True).encode("latin-1")))
    return headers
