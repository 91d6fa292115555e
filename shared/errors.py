"""Typed domain exceptions and the one catalogue of problem types (RFC 9457) they are answered with.

Domain code raises these and never names an HTTP status; `shared.problems` maps each to its problem
document in one handler. Every `type` is `urn:omi:problem:<kind>`, a stable URI listed in `CATALOGUE`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from shared.schemas.common import FieldError

TYPE_BASE = "urn:omi:problem:"


@dataclass(frozen=True)
class ProblemType:
    """One kind of problem: its stable `type` URI suffix, its status and its title (never varying)."""

    kind: str
    status: int
    title: str
    meaning: str


_TYPES = [
    ProblemType("bad-request", 400, "Bad request", "unreadable: a body not UTF-8 or JSON nested too deeply (`errors` says why)"),
    ProblemType("unsafe-path", 400, "Bad request", "the path has dot segments, encoded slashes or NULs, or cannot be forwarded"),
    ProblemType("bad-length", 400, "Bad request", "Content-Length is not a number"),
    ProblemType("unauthenticated", 401, "Not authenticated", "no valid bearer token"),
    ProblemType("forbidden", 403, "Forbidden", "the caller's role may not do this"),
    ProblemType("not-found", 404, "Not found", "no such resource, or not one the caller may see"),
    ProblemType("method-not-allowed", 405, "Method not allowed", "the path exists; the `Allow` header lists its methods"),
    ProblemType("not-acceptable", 406, "Not acceptable", "no representation in a media type the caller accepts"),
    ProblemType("conflict", 409, "Conflict", "the request conflicts with the resource's state"),
    ProblemType("duplicate-reference", 409, "Conflict", "a case with this reference is already in the inspection"),
    ProblemType("published", 409, "Conflict", "the inspection is published: what it holds is frozen"),
    ProblemType("sample-not-empty", 409, "Conflict", "the inspection already has cases"),
    ProblemType("status-transition", 409, "Conflict", "the status cannot move that way"),
    ProblemType("concurrent-change", 409, "Conflict", "a concurrent request changed the same data first; read again and retry"),
    ProblemType("idempotency-key-reused", 409, "Conflict", "the Idempotency-Key was used with a different request"),
    ProblemType("idempotency-key-conflict", 409, "Conflict", "a concurrent request with this Idempotency-Key is in flight"),
    ProblemType("return-key-reused", 409, "Conflict", "a questionnaire return with this return_key is stored with other answers"),
    ProblemType("gone", 410, "Gone", "the resource existed and was removed"),
    ProblemType("stale-etag", 412, "Precondition failed", "If-Match names an ETag that is no longer current"),
    ProblemType("body-too-large", 413, "Content too large", "the request body is larger than allowed"),
    ProblemType("uri-too-long", 414, "URI too long", "the request's path and query are longer than the gateway forwards"),
    ProblemType("media-type", 415, "Unsupported media type", "the body's media type is not one the endpoint reads"),
    ProblemType("validation-error", 422, "Validation failed", "fields are invalid; `errors` names each one"),
    ProblemType("if-match-required", 428, "Precondition required", "an update needs If-Match with the ETag last read"),
    ProblemType("rate-limited", 429, "Too many requests", "too many requests from this caller; see Retry-After"),
    ProblemType("internal-error", 500, "Internal server error", "a bug: logged with the request id"),
    ProblemType("bad-gateway", 502, "Bad gateway", "a service it needs answered wrongly, or the connection broke mid-request"),
    ProblemType(
        "service-unavailable",
        503,
        "Service unavailable",
        "a service or database it needs cannot be reached, or the database cancelled a statement; see Retry-After",
    ),
    ProblemType("overloaded", 503, "Service overloaded", "the service is at its limit of concurrent requests; see Retry-After"),
    ProblemType("not-ready", 503, "Not ready", "its database is unreachable or not migrated, or it is warming up"),
    ProblemType("service-timeout", 504, "Service timed out", "a service it needs did not answer in time"),
]
CATALOGUE: Mapping[str, ProblemType] = {problem.kind: problem for problem in _TYPES}


class DomainError(Exception):
    """A failure the caller is told about as a problem document; subclasses fix its kind."""

    kind: ClassVar[str]
    _by_kind: ClassVar[dict[str, type["DomainError"]]] = {}
    _by_status: ClassVar[dict[int, type["DomainError"]]] = {}

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        if "kind" in cls.__dict__:  # the first class of a status stands for its other kinds
            DomainError._by_kind.setdefault(cls.kind, cls)
            DomainError._by_status.setdefault(CATALOGUE[cls.kind].status, cls)

    @classmethod
    def of_kind(
        cls,
        kind: str,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> "DomainError":
        """The typed error for a catalogue kind (e.g. a problem another service answered with)."""
        chosen = cls._by_kind.get(kind) or cls._by_status.get(CATALOGUE[kind].status, DomainError)
        error = chosen.__new__(chosen)
        DomainError.__init__(error, detail, kind=kind, errors=errors, headers=headers)
        return error

    def __init__(
        self,
        detail: str | None = None,
        *,
        kind: str | None = None,
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        chosen = kind or self.kind
        if chosen not in CATALOGUE:
            raise ValueError(f"problem kind {chosen!r} is not in the catalogue")
        super().__init__(detail or CATALOGUE[chosen].title)
        self.problem = CATALOGUE[chosen]
        self.detail = detail
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers or {})


class BadRequest(DomainError):
    kind = "bad-request"


class Unauthenticated(DomainError):
    kind = "unauthenticated"


class Forbidden(DomainError):
    kind = "forbidden"


class NotFound(DomainError):
    kind = "not-found"


class NotAcceptable(DomainError):
    kind = "not-acceptable"


class Conflict(DomainError):
    kind = "conflict"


class Gone(DomainError):
    kind = "gone"


class PreconditionFailed(DomainError):
    kind = "stale-etag"


class ContentTooLarge(DomainError):
    kind = "body-too-large"


class UnsupportedMediaType(DomainError):
    kind = "media-type"


class InvalidInput(DomainError):
    """Invalid fields, every one named in `errors`."""

    kind = "validation-error"

    def __init__(self, errors: Sequence[FieldError], detail: str | None = None) -> None:
        super().__init__(detail or "Invalid: " + ", ".join(error.field for error in errors), errors=errors)


class PreconditionRequired(DomainError):
    kind = "if-match-required"


class RateLimited(DomainError):
    kind = "rate-limited"


class UpstreamFailed(DomainError):
    """Another service answered with something this one cannot use, or broke the connection."""

    kind = "bad-gateway"


class UpstreamUnavailable(DomainError):
    """Another service could not be reached: the request never got there, so it is safe to retry."""

    kind = "service-unavailable"

    def __init__(self, detail: str | None = None, *, retry_after: int = 5, kind: str | None = None) -> None:
        super().__init__(detail, kind=kind, headers={"Retry-After": str(retry_after)})


class UpstreamTimeout(DomainError):
    kind = "service-timeout"


def invalid(field: str, message: str, *, location: str = "body", type: str = "value_error") -> InvalidInput:
    """One invalid field, as an exception to raise."""
    return InvalidInput([FieldError(field=field, location=location, message=message, type=type)])


def field_errors(errors: Sequence[Any], default_location: str = "body") -> list[FieldError]:
    """Turn pydantic/FastAPI error dicts into named field errors."""
    result = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        location = default_location
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
            location, loc = loc[0], loc[1:]
        if error.get("type") == "json_invalid":
            loc = []  # pydantic's location is a character offset, not a field
        result.append(
            FieldError(
                field=".".join(loc) or location,
                location=location,
                message=error.get("msg", "invalid"),
                type=error.get("type", "value_error"),
            )
        )
    return result
