"""ETag, If-Match and If-None-Match (RFC 9110 13.1): optimistic concurrency and conditional reads."""

from shared.errors import PreconditionFailed, PreconditionRequired


def etag(resource_id: object, version: int) -> str:
    return f'"{resource_id}.{version}"'


def require_if_match(header: str | None, current: str) -> None:
    """An update of an existing resource needs If-Match (``header``, as sent) naming its current ETag:
    PreconditionRequired without, PreconditionFailed when stale."""
    if header is None:
        raise PreconditionRequired("Send If-Match with the ETag you last read.", headers={"ETag": current})
    # Strong comparison (RFC 9110 13.1.1): a weak validator never matches.
    candidates = _entity_tags(header)
    if "*" not in candidates and current not in candidates:
        raise PreconditionFailed(f"The resource has changed; its ETag is now {current}.", headers={"ETag": current})


def _entity_tags(header: str) -> set[str]:
    """The members of an If-Match / If-None-Match list, as written (``*``, ``"x"`` or ``W/"x"``)."""
    return {part.strip() for part in header.split(",") if part.strip()}


def none_match(header: str | None, current: str) -> bool:
    """True when If-None-Match names the current representation, so a GET may answer 304. Weak
    comparison (RFC 9110 13.1.2): ``W/"x"`` matches ``"x"``; ``*`` matches whatever exists."""
    if header is None:
        return False
    tags = _entity_tags(header)
    return "*" in tags or current.removeprefix("W/") in {tag.removeprefix("W/") for tag in tags}
