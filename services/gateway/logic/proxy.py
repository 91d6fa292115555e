"""What crosses the gateway: which headers are forwarded each way."""

from collections.abc import Iterable

# Hop-by-hop headers (RFC 9110 7.6.1) and those the gateway sets itself.
_NOT_FORWARDED = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "host", "content-length",
}
_SET_BY_GATEWAY = {"x-request-id", "traceparent", "tracestate"}


def request_headers(headers: Iterable[tuple[str, str]], client_host: str | None, scheme: str, host: str) -> list[tuple[str, str]]:
    forwarded = [(k, v) for k, v in headers if k.lower() not in _NOT_FORWARDED | _SET_BY_GATEWAY | {"x-forwarded-for"}]
    previous = [v for k, v in headers if k.lower() == "x-forwarded-for"]
    chain = ", ".join(previous + ([client_host] if client_host else []))
    if chain:
        forwarded.append(("x-forwarded-for", chain))
    forwarded += [("x-forwarded-proto", scheme), ("x-forwarded-host", host)]
    return forwarded


def response_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    # The gateway's own request id and trace context go back to the client, not the service's.
    return [(k, v) for k, v in headers if k.lower() not in _NOT_FORWARDED | _SET_BY_GATEWAY]
