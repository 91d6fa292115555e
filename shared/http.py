"""HTTP method semantics every app keeps: HEAD wherever GET works, and a 405's `Allow` naming every
method of the path (FastAPI keeps one route per method, so Starlette would name only the first's)."""

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The order methods are listed in `Allow`.
_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _answers(routes: list[BaseRoute], scope: Scope, method: str) -> bool:
    """Some route takes this path with this method (asked of each route, however routers nest)."""
    asked = {**scope, "method": method}
    return any(route.matches(asked)[0] is Match.FULL for route in routes)


def allowed_methods(routes: list[BaseRoute], scope: Scope) -> list[str]:
    """Every method some route of this path answers (HEAD wherever GET), in a fixed order."""
    methods = [m for m in _ORDER if _answers(routes, scope, m)]
    if "GET" in methods and "HEAD" not in methods:
        methods.insert(methods.index("GET") + 1, "HEAD")
    return methods


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
        # A route that takes HEAD itself keeps it (the gateway forwards HEAD as it came).
        return not _answers(routes, scope, "HEAD") and _answers(routes, scope, "GET")
