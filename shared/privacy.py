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
# A DETAIL line met without its exception (text only): withheld to the line's end. With the exception at hand its
# exact DETAIL text is withheld instead, whatever newlines the quoted values hold.
_DETAIL = re.compile(r"^([ \t]*DETAIL:[ \t]*)\S.*$", re.MULTILINE)
WITHHELD = "(withheld: it may quote stored values)"


def redact(text: str) -> str:
    """``text`` with the value of any access_token query parameter masked."""
    return _IN_URL.sub(rf"\g<1>{MASK}", text) if LINK_PARAMETER in text else text


def _details(error: BaseException) -> set[str]:
    """The DETAIL texts (asyncpg's ``detail``) of ``error`` and of every exception in its chain."""
    found: set[str] = set()
    seen: set[int] = set()
    todo: list[object] = [error]
    while todo:
        current = todo.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        detail = getattr(current, "detail", None)
        if isinstance(detail, str) and detail:
            found.add(detail)
        todo += [current.__cause__, current.__context__, getattr(current, "orig", None)]
    return found


def without_row_values(text: str, error: BaseException | None = None) -> str:
    """``text`` (an error's message or traceback; ``error`` the exception it was made of, where there is one) with
    the text of any DETAIL withheld."""
    if "DETAIL:" not in text:
        return text
    # Longest first: a DETAIL that holds another's text is withheld whole.
    for detail in sorted(_details(error), key=len, reverse=True) if error is not None else ():
        text = text.replace(detail, WITHHELD)
    return _DETAIL.sub(lambda line: line[0] if line[0].endswith(WITHHELD) else line[1] + WITHHELD, text)


def _redacted(value: Any) -> Any:
    """A log argument masked; a URL object (httpx logs one) or an exception becomes its masked text."""
    if isinstance(value, int | float | bool) or value is None:
        return value
    text = value if isinstance(value, str) else str(value)
    masked = without_row_values(redact(text), value if isinstance(value, BaseException) else None)
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
            error = record.exc_info[1]
            record.exc_text = without_row_values(redact(self._formatter.formatException(record.exc_info)), error)
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
