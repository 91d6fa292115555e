"""ETag / If-Match: optimistic concurrency for every updatable resource."""

from fastapi import Request

from shared.problems import ProblemError


def etag(resource_id: object, version: int) -> str:
    return f'"{resource_id}.{version}"'


def require_if_match(request: Request, current: str) -> None:
    """An update of an existing resource needs If-Match naming its current ETag: 428 without, 412 when stale."""
    header = request.headers.get("if-match")
    if header is None:
        raise ProblemError(
            428, "Precondition Required", "Send If-Match with the ETag you last read.", kind="if-match-required",
            headers={"ETag": current},
        )
    # Strong comparison (RFC 9110 13.1.1): a weak validator never matches.
    candidates = {part.strip() for part in header.split(",")}
    if "*" not in candidates and current not in candidates:
        raise ProblemError(
            412, "Precondition Failed", f"The resource has changed; its ETag is now {current}.", kind="stale-etag",
            headers={"ETag": current},
        )
