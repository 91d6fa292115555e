"""What every gateway response carries for browsers: security headers (nosniff, referrer policy, a content
security policy on HTML, HSTS behind TLS)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Swagger UI (/docs) and the HTML report load only their own and inline styles and scripts.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, behind_tls: bool) -> None:
        self.app = app
        self.behind_tls = behind_tls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tls = self.behind_tls or scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": secured(message.get("headers", []), tls)}
            await send(message)

        await self.app(scope, receive, with_headers)


def secured(headers: list[tuple[bytes, bytes]], tls: bool) -> list[tuple[bytes, bytes]]:
    """An answer's headers with the security headers in place of any it had of those names."""
    kept = [(k, v) for k, v in headers if k.lower() not in _SET_HERE]
    content_type = next((v for k, v in kept if k.lower() == b"content-type"), b"")
    kept += _ALWAYS
    if content_type.startswith(b"text/html"):
        kept.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
    if tls:
        kept.append((b"strict-transport-security", HSTS.encode()))
    return kept


_ALWAYS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
_SET_HERE = {b"x-content-type-options", b"referrer-policy", b"content-security-policy", b"strict-transport-security"}
