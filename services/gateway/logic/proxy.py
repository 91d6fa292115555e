"""What crosses the gateway: which headers are forwarded each way."""

from collections.abc import AsyncIterator, Iterable
from urllib.parse import unquote

# Hop-by-hop headers (RFC 9110 7.6.1) and those the gateway sets itself.
_NOT_FORWARDED = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}
_SET_BY_GATEWAY = {"x-request-id", "traceparent", "tracestate"}
# What runs behind the gateway is not the client's business.
_INTERNAL = {"server"}


def _connection_listed(headers: list[tuple[str, str]]) -> set[str]:
    """Headers a Connection header names are hop-by-hop too (RFC 9110 7.6.1)."""
    return {name.strip().lower() for k, v in headers if k.lower() == "connection" for name in v.split(",")}


def request_headers(
    headers: Iterable[tuple[str, str]], client_host: str | None, scheme: str, host: str, request_id: str | None
) -> list[tuple[str, str]]:
    """The client's end-to-end headers, the forwarding chain, and the gateway's request id."""
    headers = list(headers)
    dropped = _NOT_FORWARDED | _SET_BY_GATEWAY | {"x-forwarded-for"} | _connection_listed(headers)
    forwarded = [(k, v) for k, v in headers if k.lower() not in dropped]
    previous = [v for k, v in headers if k.lower() == "x-forwarded-for"]
    chain = ", ".join(previous + ([client_host] if client_host else []))
    if chain:
        forwarded.append(("x-forwarded-for", chain))
    forwarded += [("x-forwarded-proto", scheme), ("x-forwarded-host", host)]
    if request_id:
        forwarded.append(("x-request-id", request_id))
    return forwarded


def response_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """Raw header pairs, repeated ones (Set-Cookie, Link) kept, the service's Date among them. The
    gateway's own request id and trace context go back to the client, not the service's; no Server."""
    headers = list(headers)
    dropped = _NOT_FORWARDED | _SET_BY_GATEWAY | _INTERNAL | _connection_listed(headers)
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers if k.lower() not in dropped]


class UnsafePath(ValueError):
    pass


def upstream_path(raw_path: bytes) -> str:
    """The path to forward, exactly as the client sent it (still percent-encoded), so the service
    routes on what the gateway routed on. Dot segments, encoded slashes and NULs are refused:
    they would let a path route to one service and land somewhere else."""
    path = raw_path.decode("latin-1")
    lowered = path.lower()
    if "%2f" in lowered or "%5c" in lowered or "%00" in lowered or "\\" in path:
        raise UnsafePath(path)
    for segment in path.split("/"):
        if unquote(segment) in (".", ".."):
            raise UnsafePath(path)
    return path


class LimitedBody:
    """The request body, streamed on, stopped once it passes ``limit`` bytes (a chunked body has no
    Content-Length to check beforehand). ``exceeded`` tells why the upstream call then failed:
    the transport reports the interrupted upload in its own terms."""

    def __init__(self, body: AsyncIterator[bytes], limit: int) -> None:
        self.body = body
        self.limit = limit
        self.exceeded = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self.body:
            seen += len(chunk)
            if seen > self.limit:
                self.exceeded = True
                raise ValueError(f"request body over {self.limit} bytes")
            yield chunk
