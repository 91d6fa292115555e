"""A caller's standing on an inspection, as services other than cases learn it: from the cases service (the
caller's own token rides along), kept briefly per subject and target so a burst of requests asks once."""

import time
from typing import Literal
from uuid import UUID

import httpx

from shared.access import Standing
from shared.clients import call_service
from shared.schemas.access import StandingOut
from shared.tokens import Principal

_MAX_ENTRIES = 10_000


class RemoteStandings:
    def __init__(self, client: httpx.AsyncClient, keep_seconds: float) -> None:
        self.client = client
        self.keep_seconds = keep_seconds
        self._kept: dict[tuple[str, str, UUID], tuple[float, Standing]] = {}

    async def of(self, principal: Principal, target: Literal["inspection", "case"], key: UUID) -> Standing:
        entry = (principal.subject, target, key)
        now = time.monotonic()
        kept = self._kept.get(entry)
        if kept is not None and kept[0] > now:
            return kept[1]
        response = await call_service(self.client, "cases", "GET", "/internal/standing", params={f"{target}_id": str(key)})
        standing = Standing(**StandingOut.model_validate_json(response.content).model_dump())
        if len(self._kept) >= _MAX_ENTRIES:
            self._kept = {k: v for k, v in self._kept.items() if v[0] > now}
        if self.keep_seconds > 0:
            self._kept[entry] = (now + self.keep_seconds, standing)
        return standing
