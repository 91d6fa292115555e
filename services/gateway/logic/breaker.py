"""One circuit breaker per routed service (purgatory): after `failures` consecutive connect failures the
gateway refuses that service's requests at once for `cooldown` seconds; then one probe request goes through,
and its success closes the circuit again (its failure opens it for another cool-down)."""

import math
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import CLOSED, Context, OpenedState

T = TypeVar("T")


class CircuitOpen(Exception):
    """The service's circuit is open (or its one probe is in flight): the request was not sent."""

    def __init__(self, service: str, retry_after: int) -> None:
        super().__init__(f"the circuit to {service} is open")
        self.service = service
        self.retry_after = retry_after


class Breakers:
    """The circuits, by service name. Only the exceptions `counts` accepts are failures; any other outcome
    (an answer, a timeout, a broken connection) shows the service could be reached."""

    def __init__(self, failures: int, cooldown: float, counts: Callable[[BaseException], bool]) -> None:
        self.cooldown = cooldown
        self._factory = AsyncCircuitBreakerFactory(
            default_threshold=failures, default_ttl=cooldown, exclude=[(BaseException, lambda exc: not counts(exc))]
        )
        self._probing: set[str] = set()

    async def state(self, service: str) -> str:
        """closed, opened or half-opened."""
        return (await self._factory.get_breaker(service)).context.state

    def _retry_after(self, context: Context) -> int:
        opened_at = context.opened_at or time.time()
        return max(1, math.ceil(opened_at + self.cooldown - time.time()))

    async def call(self, service: str, attempt: Callable[[], Awaitable[T]]) -> T:
        breaker = await self._factory.get_breaker(service)
        # purgatory lets every request through once the cool-down is over; the gateway sends just one probe.
        probe = breaker.context.state != CLOSED
        if probe and service in self._probing:
            raise CircuitOpen(service, self._retry_after(breaker.context))
        try:
            async with breaker:
                if probe:
                    self._probing.add(service)
                return await attempt()
        except OpenedState:  # raised on entering only: still cooling down
            raise CircuitOpen(service, self._retry_after(breaker.context)) from None
        finally:
            if probe:
                self._probing.discard(service)
