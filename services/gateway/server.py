"""The gateway's HTTP server protocol: uvicorn's httptools one (far cheaper per request than h11), with the
two limits h11 gave: the request line and headers read are bounded (`max_header_bytes`; beyond, the
server's own 400), and a URL too long for httptools' URL parser (64 KiB) still reaches the app, so an
over-long URL is the gateway's own 414 problem rather than a plain-text 400."""

import asyncio
import urllib.parse

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

# httptools.parse_url keeps offsets in 16 bits and refuses anything longer.
PARSABLE_URL_BYTES = (1 << 16) - 1


class RequestHeadTooLarge(Exception):
    """Raised inside the parser's callback: httptools then fails the request, and uvicorn answers 400."""


class _HeadWithBody:
    """The connection's transport as one response cycle sees it: the response head is held and written with
    the first piece of the body, one write (and one segment on the wire) rather than two for every answer."""

    def __init__(self, transport: asyncio.Transport, cycle: RequestResponseCycle) -> None:
        self.transport = transport
        self.cycle = cycle
        self.head: bytes | None = None
        self.head_written = False

    def write(self, data: bytes) -> None:
        if not self.head_written and self.cycle.response_started:
            # The cycle's first write once the response has started is its head (a 100 Continue comes before).
            self.head, self.head_written = data, True
            return
        self.flush(data)

    def flush(self, data: bytes = b"") -> None:
        head, self.head = self.head, None
        if head is None:
            self.transport.write(data)
        else:
            self.transport.writelines((head, data))

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def is_closing(self) -> bool:
        return self.transport.is_closing()


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
            self._hold_heads()
            return
        # Parsed by hand (origin form: path and query), after uvicorn has set up the request on a stand-in URL;
        # the app runs only once this callback has returned.
        self.url = b"/"
        super().on_headers_complete()
        raw_path, _, query = target.partition(b"#")[0].partition(b"?")
        self.scope["raw_path"] = raw_path
        self.scope["path"] = urllib.parse.unquote(raw_path.decode("latin-1"))
        self.scope["query_string"] = query
        self._hold_heads()

    def _hold_heads(self) -> None:
        # The cycle just made (its app not yet started) writes through the holding transport.
        cycle = self.cycle
        holding = _HeadWithBody(self.transport, cycle)
        cycle.transport = holding  # type: ignore[assignment]
        completed = cycle.on_response

        def on_response() -> None:
            holding.flush()  # an answer with no body (HEAD, 204, 304) has no body write to carry its head
            completed()

        cycle.on_response = on_response


def http_protocol(max_head_bytes: int) -> type[GatewayHttpTools]:
    """The protocol class uvicorn is given, reading at most ``max_head_bytes`` of request line and headers."""
    return type("GatewayHttp", (GatewayHttpTools,), {"max_head_bytes": max_head_bytes})
