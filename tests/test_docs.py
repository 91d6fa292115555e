"""The API documentation pages work on a closed network: /docs and /redoc load nothing from outside the gateway."""

import re

import httpx
import pytest

ASSET = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|url\s*:\s*["']([^"']+)["']""")
CONTENT_TYPES = {".js": ("text/javascript", "application/javascript"), ".css": ("text/css",), ".png": ("image/png",)}


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_documentation_pages_are_served_whole_by_the_gateway(gw: httpx.AsyncClient, page: str) -> None:
    response = await gw.get(page)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    assert not re.search(r"(?:https?:)?//[\w.-]", html), "no URL outside the gateway"
    referenced = {a or b for a, b in ASSET.findall(html)}
    assert "/openapi.json" in referenced and any(r.endswith(".js") for r in referenced), referenced
    for reference in sorted(referenced):
        assert reference.startswith("/"), f"{reference}: not a path on the gateway"
        asset = await gw.get(reference)
        assert asset.status_code == 200, reference
        content_type = asset.headers["content-type"]
        suffix = reference[reference.rfind(".") :]
        expected = ("application/json",) if reference == "/openapi.json" else CONTENT_TYPES[suffix]
        assert content_type.split(";")[0] in expected, f"{reference}: {content_type}"
        assert len(asset.content) > 1000, f"{reference} is served whole"
