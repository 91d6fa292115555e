"""What a request's URL must not carry into logs and spans: a bearer token passed as `?access_token=` (a report
link, shared.auth) is masked in every span attribute when the span starts and in the records of the loggers
that write URLs (uvicorn's access log, httpx's request lines)."""

import logging
import re
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from shared.auth import LINK_PARAMETER

MASK = "REDACTED"
_IN_URL = re.compile(rf"((?:^|[?&;]){LINK_PARAMETER}=)[^&#\s\"']*")
# The loggers that write request URLs; others never see a URL's query (tests/test_privacy.py searches them all).
URL_LOGGERS = ("uvicorn.access", "uvicorn.error", "httpx", "httpcore")


def redact(text: str) -> str:
    """``text`` with the value of any access_token query parameter masked."""
    return _IN_URL.sub(rf"\g<1>{MASK}", text) if LINK_PARAMETER in text else text


def _redacted(value: Any) -> Any:
    """A log argument masked; a URL object (httpx logs one) becomes its masked text."""
    if isinstance(value, int | float | bool) or value is None:
        return value
    text = value if isinstance(value, str) else str(value)
    return redact(text) if LINK_PARAMETER in text else value


def redact_span(span: trace.Span, _scope: object = None) -> None:
    """Masks the token in a span's attributes (url.full, url.query, http.target, http.url); the server
    instrumentation calls it as its request hook, after it has set them (again) on the started span."""
    for name, value in dict(getattr(span, "attributes", None) or {}).items():
        if isinstance(value, str) and LINK_PARAMETER in value:
            span.set_attribute(name, redact(value))


class RedactingSpanProcessor(SpanProcessor):
    """Masks the token in the attributes every span starts with (client spans' url.full)."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        redact_span(span)

    def on_end(self, span: ReadableSpan) -> None:
        pass


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _redacted(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(argument) for argument in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redacted(value) for key, value in record.args.items()}
        return True


_FILTER = _RedactingFilter()


def redact_url_logs() -> None:
    """The URL-writing loggers' records masked before any handler (the JSON one, a test's capture) sees them."""
    for name in URL_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
