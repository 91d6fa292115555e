"""Bearer tokens through the gateway and at every service: every kind of bad token is 401 with the RFC 6750
challenge, open paths stay open, keys rotate without a restart (embedded key set and an OIDC provider's JWKS)."""

import asyncio
import json
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from demo.run import link
from services.gateway.app import create_app as create_gateway
from services.gateway.settings import GatewaySettings
from shared.errors import Unauthenticated
from shared.tokens import AuthSettings, TokenVerifier, add_key, ensure_keys, public_key_set, sign
from tests.conftest import SERVICES, Stack, plan_inspection, url_of
from tests.helpers import add_case, publish_report

CHALLENGE = 'Bearer error="invalid_token"'


def _claims(auth: AuthSettings, **changes: object) -> dict:
    now = datetime.now(UTC)
    claims = {"iss": auth.issuer, "aud": auth.audience, "sub": "someone", "roles": ["admin"], "iat": now}
    return claims | {"exp": now + timedelta(hours=1)} | changes


def _signed(auth: AuthSettings, key: object | None = None, **changes: object) -> str:
    """A token of the embedded issuer's newest kid, signed with ``key`` (the real one unless given)."""
    kid = public_key_set(auth.keys_dir)["keys"][-1]["kid"]
    private = key or _newest_private(auth)
    return jwt.encode(_claims(auth, **changes), private, algorithm="EdDSA", headers={"kid": kid})


def _newest_private(auth: AuthSettings) -> object:
    from cryptography.hazmat.primitives import serialization

    newest = sorted(auth.keys_dir.glob("*.private.pem"))[-1]
    return serialization.load_pem_private_key(newest.read_bytes(), password=None)


def bad_tokens(auth: AuthSettings) -> dict[str, str | None]:
    now = datetime.now(UTC)
    return {
        "missing": None,
        "not bearer": "Basic dXNlcjpwYXNz",
        "empty bearer": "Bearer ",
        "malformed": "Bearer not.a.token",
        "expired": f"Bearer {_signed(auth, exp=now - timedelta(hours=1), iat=now - timedelta(hours=2))}",
        "not yet valid": f"Bearer {_signed(auth, nbf=now + timedelta(hours=1))}",
        "wrong signature": f"Bearer {_signed(auth, Ed25519PrivateKey.generate())}",
        "wrong audience": f"Bearer {_signed(auth, aud='someone-else')}",
        "wrong issuer": f"Bearer {_signed(auth, iss='https://elsewhere')}",
        "no subject": f"Bearer {jwt.encode({k: v for k, v in _claims(auth).items() if k != 'sub'}, _newest_private(auth), algorithm='EdDSA', headers={'kid': public_key_set(auth.keys_dir)['keys'][-1]['kid']})}",  # noqa: E501
        "unsigned": "Bearer " + jwt.encode(_claims(auth), None, algorithm="none"),
        "unknown kid": "Bearer "
        + jwt.encode(_claims(auth), Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "nope"}),
    }


async def test_every_kind_of_bad_token_is_401_at_the_gateway_and_at_every_service(stack: Stack, gw: httpx.AsyncClient) -> None:
    for kind, authorization in bad_tokens(stack.auth).items():
        headers = {"Authorization": authorization} if authorization is not None else {}
        async with httpx.AsyncClient(transport=stack.transport, base_url=url_of("gateway")) as anonymous:
            response = await anonymous.get("/api/v1/inspections", headers=headers)
        assert response.status_code == 401, kind
        assert response.headers["www-authenticate"] == CHALLENGE, kind
        assert response.headers["content-type"] == "application/problem+json", kind
        assert response.json()["type"] == "urn:omi:problem:unauthenticated"
        # No service trusts the network: straight to each one, the same answer.
        for name in SERVICES:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=stack.apps[name]), base_url=url_of(name)) as direct:
                answer = await direct.get("/internal/audit", headers=headers)
            assert answer.status_code == 401 and answer.headers["www-authenticate"] == CHALLENGE, (kind, name)
    assert (await gw.get("/api/v1/inspections")).status_code == 200  # the admin token the suite sends


async def test_health_docs_openapi_and_jwks_need_no_token(stack: Stack, gw: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient(transport=stack.transport, base_url=url_of("gateway")) as anonymous:
        for path in ("/healthz", "/readyz", "/openapi.json", "/docs", "/.well-known/jwks.json"):
            assert (await anonymous.get(path)).status_code == 200, path
        keys = (await anonymous.get("/.well-known/jwks.json")).json()["keys"]
    assert keys and all(k["kty"] == "OKP" and k["alg"] == "EdDSA" and "d" not in k for k in keys)
    private = sorted(stack.auth.keys_dir.glob("*.private.pem"))
    assert private and all(p.stat().st_mode & 0o777 == 0o600 for p in private)


async def test_a_rotated_embedded_key_verifies_everywhere_without_a_restart(stack: Stack, gw: httpx.AsyncClient) -> None:
    before = stack.token("admin", "before-rotation")
    add_key(stack.auth.keys_dir)
    after = stack.token("admin", "after-rotation")
    assert jwt.get_unverified_header(after)["kid"] != jwt.get_unverified_header(before)["kid"]
    for token in (before, after):  # old tokens still verify until their key is removed
        response = await gw.get("/api/v1/inspections", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
    # The new kid reached the services too: the gateway forwards, scoring asks cases with it.
    inspection = (await gw.post("/api/v1/inspections", json=_inspection(), headers={"Authorization": f"Bearer {after}"})).json()
    scores = await gw.get(f"/api/v1/inspections/{inspection['id']}/scores", headers={"Authorization": f"Bearer {after}"})
    assert scores.status_code == 200, scores.text


def _inspection() -> dict:
    return {"area": "Kent", "country": "england", "fieldwork_start": "2009-01-05", "framework_id": "omi-2008"}


class _Jwks:
    """A real JWKS endpoint on 127.0.0.1 (a thread), whose key set a test can change."""

    def __init__(self) -> None:
        self.document: dict = {"keys": []}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps(owner.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def publish(self, *keys: tuple[str, rsa.RSAPrivateKey]) -> None:
        self.document = {
            "keys": [
                json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(k.public_key())) | {"kid": kid, "alg": "RS256", "use": "sig"}
                for kid, k in keys
            ]
        }


@pytest.fixture
def jwks_server():
    server = _Jwks()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


async def test_oidc_keys_rotate_by_kid_without_a_restart(jwks_server: _Jwks) -> None:
    issuer = "https://id.example.test/realms/omi"
    auth = AuthSettings(
        mode="oidc",
        issuer=issuer,
        audience="omi",
        jwks_url=jwks_server.url,
        roles_claim="realm_access.roles",
        key_refresh_seconds=0,
    )
    first, second = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
    jwks_server.publish(("k1", first))

    def token(kid: str, key: rsa.RSAPrivateKey, audience: str = "omi") -> dict[str, str]:
        claims = _claims(auth, iss=issuer, aud=audience, roles=None, realm_access={"roles": ["offline", "admin"]})
        return {"Authorization": "Bearer " + jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})}

    # The services are not there: a token that passes the gateway's check is answered 503, a bad one 401.
    settings = GatewaySettings(services={s: "http://127.0.0.1:9" for s in SERVICES}, connect_timeout=0.5, auth=auth)
    async with LifespanManager(create_gateway(settings)) as manager:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://gateway")
        assert (await client.get("/api/v1/inspections", headers=token("k1", first))).status_code == 503
        assert (await client.get("/api/v1/inspections", headers=token("k2", second))).status_code == 401
        assert (await client.get("/api/v1/inspections", headers=token("k1", first, "other"))).status_code == 401
        jwks_server.publish(("k1", first), ("k2", second))  # the provider rotates
        assert (await client.get("/api/v1/inspections", headers=token("k2", second))).status_code == 503
        assert (await client.get("/api/v1/inspections", headers=token("k1", second))).status_code == 401
        assert (await client.get("/.well-known/jwks.json")).status_code == 404  # the provider publishes its own


async def test_a_token_with_no_known_role_is_403(stack: Stack, gw: httpx.AsyncClient) -> None:
    token = sign(stack.auth, "stranger", "visitor")
    response = await gw.get("/api/v1/inspections", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and response.headers["content-type"] == "application/problem+json"


async def test_the_openapi_document_declares_bearer_security_on_every_protected_operation(gw: httpx.AsyncClient) -> None:
    document = (await gw.get("/openapi.json")).json()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": document["components"]["securitySchemes"]["bearer"]["description"],
    }
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if path == "/api/v1/inspections/{inspection_id}/report" and method == "get":  # a report link works too
                assert operation["security"] == [{"bearer": []}, {"reportLink": []}], (method, path)
            elif path.startswith("/api/"):
                assert operation["security"] == [{"bearer": []}], (method, path)
                assert {"401", "403"} <= operation["responses"].keys(), (method, path)
            else:
                assert "security" not in operation, path
    link = {"type": "apiKey", "in": "query", "name": "access_token"}
    assert link.items() <= document["components"]["securitySchemes"]["reportLink"].items()
    assert "/api/v1/audit" in document["paths"] and "/api/v1/inspections/{inspection_id}/team/{subject}" in document["paths"]


async def test_idempotency_keys_are_the_callers_own(stack: Stack, gw: httpx.AsyncClient) -> None:
    key = {"Idempotency-Key": "same-key"}
    first = await gw.post("/api/v1/inspections", json=_inspection(), headers=key)
    replay = await gw.post("/api/v1/inspections", json=_inspection(), headers=key)
    assert first.status_code == replay.status_code == 201 and replay.json()["id"] == first.json()["id"]
    async with stack.client("admin", "another-admin") as other:
        theirs = await other.post("/api/v1/inspections", json=_inspection(), headers=key)
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
    assert "idempotent-replayed" not in theirs.headers


def test_keys_are_made_once_with_private_files_0600() -> None:
    folder = Path(tempfile.mkdtemp(prefix="omi-keys-")) / "keys"
    auth = AuthSettings(keys_dir=folder)
    from shared.tokens import ensure_keys

    ensure_keys(folder)
    ensure_keys(folder)
    assert len(list(folder.glob("*.private.pem"))) == 1 and len(public_key_set(folder)["keys"]) == 1
    assert jwt.get_unverified_header(sign(auth, "x", "reader"))["alg"] == "EdDSA"


async def test_a_token_in_the_url_reads_a_published_report_only(stack: Stack, gw: httpx.AsyncClient) -> None:
    """RFC 6750 2.3, for a browser opening a report link: `?access_token=` on GET/HEAD of a published report
    (JSON, HTML, PDF), answered private and not to be cached; anywhere else it is as if there were no token."""
    published = (await plan_inspection(gw))["id"]
    await add_case(gw, published)
    await publish_report(gw, published)
    draft = (await plan_inspection(gw))["id"]
    reader, admin = stack.token("reader", "member-of-the-public"), stack.token("admin")
    report = f"/api/v1/inspections/{published}/report"
    async with httpx.AsyncClient(transport=stack.transport, base_url=url_of("gateway")) as browser:
        for form, media in (("html", "text/html"), ("pdf", "application/pdf"), ("json", "application/json")):
            read = await browser.get(link(f"{report}?format={form}", reader))  # the URL `make demo` prints
            assert read.status_code == 200 and read.headers["content-type"].startswith(media), read.text[:200]
            assert (read.headers["cache-control"], read.headers["referrer-policy"]) == ("private, no-store", "no-referrer")
        head = await browser.head(report, params={"format": "html", "access_token": reader})
        assert head.status_code == 200 and head.headers["cache-control"] == "private, no-store"
        refused = {
            "a draft report": ("GET", f"/api/v1/inspections/{draft}/report?format=html&access_token={admin}"),
            "another path": ("GET", f"/api/v1/inspections/{published}?access_token={reader}"),
            "a list": ("GET", f"/api/v1/inspections?access_token={admin}"),
            "the report's status": ("GET", f"{report}/status?access_token={admin}"),
            "a write": ("POST", f"{report}:publish?access_token={admin}"),
            "an invalid token": ("GET", f"{report}?format=html&access_token={reader[:-4]}AAAA"),
            "two tokens": ("GET", f"{report}?access_token={reader}&access_token={reader}"),
            "an admin's token": ("GET", f"{report}?format=html&access_token={admin}"),
            "an encoded name": ("GET", f"{report}?format=html&access%5Ftoken={reader}"),  # unmasked in logs
        }
        for what, (method, url) in refused.items():
            answer = await browser.request(method, url)
            assert answer.status_code == 401, (what, answer.status_code, answer.text)
            assert answer.headers["www-authenticate"] == CHALLENGE, what
    # Every service checks it again: straight to reporting, the same holds.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=stack.apps["reporting"]), base_url=url_of("reporting")
    ) as direct:
        assert (await direct.get(report, params={"format": "json", "access_token": reader})).status_code == 200
        assert (await direct.get(f"/api/v1/inspections/{draft}/report", params={"access_token": admin})).status_code == 401
    # With the header, as ever: no link headers.
    async with stack.client("reader", "member-of-the-public") as client:
        read = await client.get(report, params={"format": "html"})
        assert read.status_code == 200 and read.headers.get("cache-control") != "private, no-store"


async def test_a_remembered_token_is_refused_once_it_expires(tmp_path: Path) -> None:
    # The verifier remembers tokens that verified; never past their exp (and leeway).
    ensure_keys(tmp_path)
    auth = AuthSettings(keys_dir=tmp_path, leeway_seconds=0)
    verifier = TokenVerifier(auth)
    token = _signed(auth, exp=datetime.now(UTC) + timedelta(seconds=2))
    assert (await verifier.verify(f"Bearer {token}")).subject == "someone"
    assert (await verifier.verify(f"Bearer {token}")).subject == "someone"
    await asyncio.sleep(3)
    with pytest.raises(Unauthenticated, match="expired"):
        await verifier.verify(f"Bearer {token}")
