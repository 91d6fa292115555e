"""One circuit breaker per routed service (purgatory): after `failures` consecutive connect failures the
gateway refuses that service's requests at once for `cooldown` seconds; then one probe request goes through,
and its success closes the circuit again (its failure opens it for another cool-down)."""

import math
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from opentelemetry.metrics import CallbackOptions, Observation
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import CLOSED, Context, OpenedState

from shared.metrics import Metrics

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
        # Each service's circuit as its last call left it (closed, half-opened, opened), for the metrics.
        self.states: dict[str, str] = {}

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
            self.states[service] = breaker.context.state


# Breaker states as gauge values: what a dashboard alerts on (above 0: some requests refused at once).
STATE_VALUES = {"closed": 0, "half-opened": 1, "opened": 2}


def observe_breakers(metrics: Metrics, breakers: Breakers) -> None:
    """`omi.gateway.breaker.state` per upstream: 0 closed, 1 half-open (probing), 2 open."""

    def observe(_options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(STATE_VALUES.get(state, 2), {"upstream": s}) for s, state in sorted(breakers.states.items())]

    metrics.provider.get_meter("omi.gateway").create_observable_gauge(
        "omi.gateway.breaker.state", callbacks=[observe], description="Each upstream's circuit: 0 closed, 1 half-open, 2 open."
    )
