"""The gateway's HTTP server protocol: uvicorn's httptools one (far cheaper per request than h11), with the
two limits h11 gave: the request line and headers read are bounded (`max_header_bytes`; beyond, the
server's own 400), and a URL too long for httptools' URL parser (64 KiB) still reaches the app, so an
over-long URL is the gateway's own 414 problem rather than a plain-text 400."""

import urllib.parse

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# httptools.parse_url keeps offsets in 16 bits and refuses anything longer.
PARSABLE_URL_BYTES = (1 << 16) - 1


class RequestHeadTooLarge(Exception):
    """Raised inside the parser's callback: httptools then fails the request, and uvicorn answers 400."""


class GatewayHttpTools(HttpToolsProtocol):
    max_head_bytes = 256 * 1024

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.head_bytes = 0

    def _count(self, size: int) -> None:
        self.head_bytes += size
        if self.head_bytes > self.max_head_bytes:
            raise RequestHeadTooLarge

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        target = self.url
        if len(target) <= PARSABLE_URL_BYTES:
            super().on_headers_complete()
            return
        # Parsed by hand (origin form: path and query), after uvicorn has set up the request on a stand-in URL;
        # the app runs only once this callback has returned.
        self.url = b"/"
        super().on_headers_complete()
        raw_path, _, query = target.partition(b"#")[0].partition(b"?")
        self.scope["raw_path"] = raw_path
        self.scope["path"] = urllib.parse.unquote(raw_path.decode("latin-1"))
        self.scope["query_string"] = query


def http_protocol(max_head_bytes: int) -> type[GatewayHttpTools]:
    """The protocol class uvicorn is given, reading at most ``max_head_bytes`` of request line and headers."""
    return type("GatewayHttp", (GatewayHttpTools,), {"max_head_bytes": max_head_bytes})
