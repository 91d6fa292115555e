"""Sending a request on to its service: through that service's circuit breaker, repeated (jittered backoff,
within the read timeout) only when repeating is safe, and each failure told apart, logged and marked on the span.

What the client hears: never reached (refused, no connection in time, circuit open) → 503 with Retry-After;
connected and the connection broke → 502; no answer in time → 504.
"""

import asyncio
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, stop_after_delay, wait_random_exponential

from services.gateway.logic.breaker import Breakers, CircuitOpen
from shared.context import request_id_var
from shared.errors import DomainError, UpstreamFailed, UpstreamTimeout, UpstreamUnavailable

logger = logging.getLogger(__name__)

NOT_REACHED = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
BROKEN = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def failure_kind(exc: BaseException) -> str | None:
    """The problem kind a failed call is answered with; None for what is not an upstream failure."""
    if isinstance(exc, (CircuitOpen, *NOT_REACHED)):
        return "service-unavailable"
    if isinstance(exc, httpx.TimeoutException):
        return "service-timeout"
    if isinstance(exc, httpx.TransportError):
        return "bad-gateway"
    return None


@dataclass
class FailureLog:
    """One WARNING per service and kind per `interval` seconds at most, counting the ones left out, so an
    outage is seen in the log without flooding it."""

    interval: float = 1.0
    _last: dict[tuple[str, str], tuple[float, int]] = field(default_factory=dict)

    def record(self, service: str, kind: str, cause: str) -> None:
        now = time.monotonic()
        last, suppressed = self._last.get((service, kind), (float("-inf"), 0))
        if now - last < self.interval:
            self._last[(service, kind)] = (last, suppressed + 1)
            return
        self._last[(service, kind)] = (now, 0)
        context = trace.get_current_span().get_span_context()
        logger.warning(
            "upstream %s failed: %s (%s); %d like it not logged since the last line",
            service,
            kind,
            cause,
            suppressed,
            extra={
                "upstream": service,
                "failure": kind,
                "cause": cause,
                "suppressed": suppressed,
                "request_id": request_id_var.get(),
                "trace_id": format(context.trace_id, "032x") if context.is_valid else None,
            },
        )


class Upstream:
    """The gateway's way to every routed service."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport,
        *,
        connect_timeout: float,
        read_timeout: float,
        retry_after: int,
        attempts: int,
        breaker_failures: int,
        breaker_cooldown: float,
    ) -> None:
        self.transport = transport
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.retry_after = retry_after
        self.attempts = attempts
        self.breakers = Breakers(breaker_failures, breaker_cooldown, counts=lambda exc: isinstance(exc, NOT_REACHED))
        self.failures = FailureLog()

    async def send(
        self, service: str, request: httpx.Request, *, replayable: bool, client_fault: Callable[[], bool] = lambda: False
    ) -> httpx.Response:
        """The service's answer (headers read, body streaming), or the domain error the client is told.
        ``replayable``: the request may be sent again (safe method, or keyed write whose body is held);
        ``client_fault``: tells, after a failure, that the client caused it (the failure is then not the service's)."""
        deadline = time.monotonic() + self.read_timeout

        def worth_repeating(exc: BaseException) -> bool:
            return isinstance(exc, NOT_REACHED + BROKEN) and deadline - time.monotonic() > 0

        async def attempt() -> httpx.Response:
            # Every attempt within what is left of the read timeout, so repeats never make it longer.
            left = max(0.001, deadline - time.monotonic())
            connect = min(self.connect_timeout, left)
            request.extensions["timeout"] = {"connect": connect, "read": left, "write": left, "pool": connect}
            return await self.breakers.call(service, lambda: self._send(request))

        try:
            try:
                return await attempt()
            except Exception as exc:
                if not (replayable and self.attempts > 1 and worth_repeating(exc)):
                    raise
            # The first try (made without tenacity, which costs more than the request when all is well) was not
            # answered: the repeats, jittered, within the read timeout.
            retrying = AsyncRetrying(
                stop=stop_after_attempt(self.attempts - 1) | stop_after_delay(max(0.0, deadline - time.monotonic())),
                wait=wait_random_exponential(multiplier=0.05, max=1.0),
                retry=retry_if_exception(worth_repeating),
                reraise=True,
            )
            await asyncio.sleep(random.uniform(0, 0.05))  # noqa: S311 - jitter before the first repeat, as tenacity's wait
            async for repeat in retrying:
                with repeat:
                    return await attempt()
        except Exception as exc:
            kind = failure_kind(exc)
            if kind is None or client_fault():
                raise
            raise self.told(service, kind, exc) from exc
        raise AssertionError("tenacity ends with an answer or an exception")  # pragma: no cover

    async def _send(self, request: httpx.Request) -> httpx.Response:
        # Straight to the (traced) transport: a client's redirects, auth, cookies, hooks and default headers have
        # no part in forwarding, and cost more than the rest of it.
        response = await self.transport.handle_async_request(request)
        response.request = request
        return response

    def told(self, service: str, kind: str, exc: Exception) -> DomainError:
        """What the client hears, logged (rate-limited) and marked on the gateway's span."""
        cause = "circuit-open" if isinstance(exc, CircuitOpen) else type(exc).__name__
        self.failures.record(service, kind, cause)
        span = trace.get_current_span()
        span.set_status(Status(StatusCode.ERROR, f"{service}: {kind}"))
        span.set_attributes({"omi.upstream.failure": kind, "omi.upstream.service": service, "omi.upstream.cause": cause})
        if isinstance(exc, CircuitOpen):
            return UpstreamUnavailable(
                f"the {service} service is failing; the gateway is not sending it requests for now",
                retry_after=exc.retry_after,
            )
        if kind == "service-unavailable":
            detail = f"the {service} service cannot be reached; try again shortly"
            return UpstreamUnavailable(detail, retry_after=self.retry_after)
        if kind == "service-timeout":
            return UpstreamTimeout(f"the {service} service did not answer in time")
        return UpstreamFailed(f"the connection to the {service} service broke before it answered; it may have acted on it")


def replayable(method: str, headers: Mapping[str, str], body_held: bool) -> bool:
    """Safe to send again: a safe method, or a write carrying an Idempotency-Key (the service replays its
    first answer) — either with no body or with the body held whole by the gateway."""
    has_body = "content-length" in headers or "transfer-encoding" in headers
    repeatable = method in SAFE_METHODS or "idempotency-key" in headers
    return repeatable and (not has_body or body_held)
