"""The route table: which service owns a public path."""

from collections.abc import Sequence

from services.gateway.settings import Route


class RouteTable:
    def __init__(self, routes: Sequence[Route]) -> None:
        # Longest prefix first, so /inspections/*/scores wins over /inspections.
        self._routes = sorted(
            ((tuple(r.prefix.strip("/").split("/")), r.service) for r in routes), key=lambda item: -len(item[0])
        )

    def service_for(self, path: str) -> str | None:
        segments = path.strip("/").split("/")
        for prefix, service in self._routes:
            if len(segments) >= len(prefix) and all(p in ("*", s) for p, s in zip(prefix, segments, strict=False)):
                return service
        return None

    def services(self) -> set[str]:
        return {service for _, service in self._routes}
