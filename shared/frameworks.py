"""Fetching framework documents from the scoring service, cached by id and version (a version never changes)."""

from urllib.parse import quote

import httpx

from shared.problems import ProblemError
from shared.schemas.frameworks import Framework


class FrameworkNotFound(LookupError):
    pass


class FrameworkSource:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self._cache: dict[tuple[str, int], Framework] = {}

    async def get(self, framework_id: str, version: int | None = None) -> Framework:
        if version is not None and (framework_id, version) in self._cache:
            return self._cache[(framework_id, version)]
        params = {"version": version} if version is not None else {}
        try:
            response = await self.client.get(f"/api/v1/frameworks/{quote(framework_id, safe='')}", params=params)
        except httpx.TransportError as exc:
            raise ProblemError(
                503, "Scoring service unavailable", "Frameworks could not be read from the scoring service.",
                headers={"Retry-After": "5"},
            ) from exc
        if response.status_code == 404:
            raise FrameworkNotFound(framework_id if version is None else f"{framework_id} version {version}")
        if response.status_code != 200:
            raise ProblemError(502, "Bad gateway", f"scoring service answered {response.status_code} for a framework")
        framework = Framework.model_validate_json(response.content)
        self._cache[(framework.id, framework.version)] = framework
        return framework
