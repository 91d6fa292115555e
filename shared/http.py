"""HTTP method semantics every app keeps: HEAD wherever GET works, and a 405's `Allow` naming every
method of the path (FastAPI keeps one route per method, so Starlette would name only the first's)."""

from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The order methods are listed in `Allow`.
_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _matching(routes: list[BaseRoute], scope: Scope) -> list[tuple[Match, Route]]:
    return [(match, route) for route in routes if isinstance(route, Route) for match in (route.matches(scope)[0],)]


def allowed_methods(routes: list[BaseRoute], scope: Scope) -> list[str]:
    """Every method some route of this path answers (HEAD wherever GET), in a fixed order."""
    methods = {m for match, route in _matching(routes, scope) if match is not Match.NONE for m in route.methods or ()}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods, key=lambda m: (_ORDER.index(m) if m in _ORDER else len(_ORDER), m))


class HeadAsGet:
    """Pure ASGI: a HEAD that no route takes itself is served by the path's GET, its body left out
    (headers, Content-Length included, as GET would send them; RFC 9110 9.3.2)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD" or not self._served_by_get(scope):
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)

    @staticmethod
    def _served_by_get(scope: Scope) -> bool:
        routes = scope["app"].router.routes
        if any(match is Match.FULL for match, _ in _matching(routes, scope)):
            return False  # a route takes HEAD itself (the gateway forwards it)
        return any(match is Match.FULL for match, _ in _matching(routes, {**scope, "method": "GET"}))
