"""The route table: which service owns a public path."""

from collections.abc import Sequence

from services.gateway.settings import Route


class RouteTable:
    def __init__(self, routes: Sequence[Route]) -> None:
        # Longest prefix first, so /inspections/*/scores wins over /inspections; with where its `*`s are, which take
        # any segment (a path's are compared as a tuple, its segments at those places taken as `*`).
        prefixes = sorted(((tuple(r.prefix.strip("/").split("/")), r.service) for r in routes), key=lambda item: -len(item[0]))
        self._routes = [(prefix, tuple(i for i, p in enumerate(prefix) if p == "*"), service) for prefix, service in prefixes]

    def service_for(self, path: str) -> str | None:
        segments = path.strip("/").split("/")
        for prefix, stars, service in self._routes:
            if len(segments) < len(prefix):
                continue
            head = segments[: len(prefix)]
            for star in stars:
                head[star] = "*"
            if tuple(head) == prefix:
                return service
        return None

    def services(self) -> set[str]:
        return {service for _, _, service in self._routes}
