"""Warm-up before readiness: a service that must fill caches to answer at its normal speed says
it is not ready (/readyz 503 not-ready) until its warm-up has finished, so no request meets a cold start."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from shared.errors import DomainError

logger = logging.getLogger(__name__)
WarmUp = Callable[[FastAPI], Awaitable[None]]


def start_warm_up(app: FastAPI, warm_up: WarmUp | None) -> "asyncio.Task[None] | None":
    """Run the warm-up in the background (the process answers /healthz meanwhile); ready when it ends."""
    app.state.warm = asyncio.Event()
    if warm_up is None:
        app.state.warm.set()
        return None

    async def run() -> None:
        try:
            await warm_up(app)
        except Exception:  # a failed warm-up costs speed, not correctness: ready anyway, and logged
            logger.exception("warm-up failed; the first requests may be slow")
        app.state.warm.set()

    return asyncio.create_task(run())


def require_warm(app: FastAPI) -> None:
    if not app.state.warm.is_set():
        raise DomainError("warming up: caches are being filled", kind="not-ready", headers={"Retry-After": "1"})
