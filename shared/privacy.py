"""What must not reach logs and spans: a bearer token passed in a URL as `?access_token=` (a report link,
shared.auth), masked in every span attribute when the span starts and in the records of the loggers that write
URLs (uvicorn's access log, httpx's request lines); and the row values PostgreSQL quotes in an error's DETAIL line
("Key (reference)=(...) already exists", "Failing row contains (...)"), which asyncpg's exceptions and SQLAlchemy's
wrappers of them repeat in their text: withheld from logged tracebacks and from spans' statuses and events."""

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
# The loggers that write an unexpected error's traceback (the 500 handler; uvicorn, which the error reaches after).
ERROR_LOGGERS = ("shared.problems", "uvicorn.error")
_DETAIL = re.compile(r"^(\s*DETAIL:\s*).+$", re.MULTILINE)
WITHHELD = "(withheld: it may quote stored values)"


def redact(text: str) -> str:
    """``text`` with the value of any access_token query parameter masked."""
    return _IN_URL.sub(rf"\g<1>{MASK}", text) if LINK_PARAMETER in text else text


def without_row_values(text: str) -> str:
    """``text`` (an error's message or traceback) with the text of any DETAIL line withheld."""
    return _DETAIL.sub(rf"\g<1>{WITHHELD}", text) if "DETAIL:" in text else text


def _redacted(value: Any) -> Any:
    """A log argument masked; a URL object (httpx logs one) or an exception becomes its masked text."""
    if isinstance(value, int | float | bool) or value is None:
        return value
    text = value if isinstance(value, str) else str(value)
    masked = without_row_values(redact(text))
    return value if masked == text else masked


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
    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info:
            # The traceback formatted here, masked, in place of the exception (every formatter writes exc_text).
            record.exc_text = without_row_values(redact(self._formatter.formatException(record.exc_info)))
            record.exc_info = None
        record.msg = _redacted(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(argument) for argument in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redacted(value) for key, value in record.args.items()}
        return True


_FILTER = _RedactingFilter()


def redacting_filter() -> logging.Filter:
    """The filter that masks a record (the JSON log handler has it, for every logger's records)."""
    return _FILTER


def redact_logs() -> None:
    """The records of the loggers that write URLs or tracebacks masked before any handler (the JSON one, a test's
    capture) sees them."""
    for name in {*URL_LOGGERS, *ERROR_LOGGERS}:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
