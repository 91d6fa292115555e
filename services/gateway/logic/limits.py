"""Rate limits per token subject at the gateway (the `limits` library: in memory, or Redis when configured so
that every gateway replica counts together), answering 429 problem+json with Retry-After."""

import logging
import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.auth import current_caller
from shared.problems import problem_response

logger = logging.getLogger(__name__)


def storage_for(redis_url: str | None, key_prefix: str) -> Storage:
    if redis_url is None:
        return MemoryStorage()
    return RedisStorage(redis_url, implementation="redispy", key_prefix=key_prefix)


class RateLimit:
    """The count of each verified caller's requests, one window per subject."""

    def __init__(self, limit: str, storage: Storage) -> None:
        self.item: RateLimitItem = parse(limit)
        self.limiter = FixedWindowRateLimiter(storage)

    async def refusal(self, subject: str) -> Response | None:
        """Counts a request of ``subject``: None when it is within the limit, else its 429."""
        try:
            allowed = await self.limiter.hit(self.item, subject)
        except Exception as exc:  # the counter's store is down: serving beats refusing everyone
            logger.warning("rate limit store unavailable: %s", type(exc).__name__)
            allowed = True
        if allowed:
            return None
        stats = await self.limiter.get_window_stats(self.item, subject)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        return problem_response(
            "rate-limited", f"more than {self.item} requests; retry later", headers={"Retry-After": str(retry_after)}
        )


class RateLimitMiddleware:
    """Counts each verified caller's requests (inside the token check, so the subject is known)."""

    def __init__(self, app: ASGIApp, rate: RateLimit) -> None:
        self.app = app
        self.rate = rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        caller = current_caller()
        refusal = None if scope["type"] != "http" or caller is None else await self.rate.refusal(caller.principal.subject)
        await (refusal or self.app)(scope, receive, send)
