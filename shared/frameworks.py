"""Framework documents read from the scoring service, cached by id and version (a version never changes)."""

from urllib.parse import quote

import httpx

from shared.clients import call_service
from shared.errors import NotFound, UpstreamFailed
from shared.schemas.frameworks import Framework


class FrameworkNotFound(NotFound):
    """The scoring service has no framework of that id (and version)."""


class FrameworkSource:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self._cache: dict[tuple[str, int], Framework] = {}

    async def get(self, framework_id: str, version: int | None = None) -> Framework:
        if version is not None and (framework_id, version) in self._cache:
            return self._cache[(framework_id, version)]
        params = {"version": version} if version is not None else {}
        try:
            response = await call_service(
                self.client, "scoring", "GET", f"/api/v1/frameworks/{quote(framework_id, safe='')}", params=params
            )
        except NotFound as exc:
            raise FrameworkNotFound(f"no framework {framework_id}" + (f" version {version}" if version else "")) from exc
        framework = Framework.model_validate_json(response.content)
        self._cache[(framework.id, framework.version)] = framework
        return framework

    async def of_inspection(self, framework_id: str, version: int) -> Framework:
        """The framework an existing inspection was planned on: its absence is the scoring service's fault."""
        try:
            return await self.get(framework_id, version)
        except FrameworkNotFound as exc:
            raise UpstreamFailed(f"the scoring service no longer serves {str(exc).removeprefix('no ')}") from exc
