"""Bearer tokens: the auth settings, the embedded Ed25519 key set under data/, signing local tokens, and
verifying any token (embedded key set or an OIDC provider's JWKS), keys looked up by `kid` and re-read
when an unknown one arrives, so a rotation needs no restart."""

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.errors import Unauthenticated

PUBLIC_KEYS = "jwks.json"
_PRIVATE_SUFFIX = ".private.pem"


class Role(StrEnum):
    """The roles a token may carry, most privileged first (a token with several acts as the first)."""

    admin = "admin"
    inspector = "inspector"
    system = "system"
    area_assessor = "area_assessor"
    reader = "reader"


class AuthSettings(BaseSettings):
    """How every service and the gateway check tokens (the same for all of them: prefix OMI_AUTH_)."""

    model_config = SettingsConfigDict(env_prefix="OMI_AUTH_", env_file=".env", extra="ignore")

    mode: Literal["embedded", "oidc"] = Field(
        "embedded", description="embedded: keys made under keys_dir; oidc: tokens of the issuer below."
    )
    keys_dir: Path = Field(Path("data/keys"), description="Embedded mode: the key pairs and jwks.json (made on first start).")
    issuer: str = Field("omi-local", description="The `iss` every token must carry (embedded: the one it signs with).")
    audience: str = Field("omi-api", description="The `aud` every token must carry.")
    jwks_url: str | None = Field(None, description="OIDC mode: the provider's JWKS URL.")
    roles_claim: str = Field("roles", description="The claim carrying roles; dotted for nested claims (realm_access.roles).")
    algorithms: list[str] = Field(["EdDSA", "RS256", "ES256"], description="Signature algorithms accepted.")
    leeway_seconds: int = Field(30, ge=0, description="Clock skew allowed on exp and nbf.")
    key_refresh_seconds: float = Field(5.0, ge=0, description="Least time between two re-reads of the key set for unknown kids.")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's subject and role (None when it carries no role this platform knows)."""

    subject: str
    role: Role | None


# --- the embedded key set -------------------------------------------------------------------------


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def _public_jwk(key: Ed25519PrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
    return jwk | {"kid": kid, "alg": "EdDSA", "use": "sig"}


def _private_keys(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"*{_PRIVATE_SUFFIX}"))


def _write_public_set(folder: Path) -> None:
    keys = []
    for path in _private_keys(folder):
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(private, Ed25519PrivateKey):
            keys.append(_public_jwk(private, path.name.removesuffix(_PRIVATE_SUFFIX)))
    temporary = folder / f".{PUBLIC_KEYS}.{uuid.uuid4().hex}"
    temporary.write_text(json.dumps({"keys": keys}, indent=2))
    temporary.replace(folder / PUBLIC_KEYS)  # readers never see half a file


def add_key(folder: Path) -> str:
    """A new Ed25519 key pair (private key mode 0600); it signs from now on, older keys still verify."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    kid = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + uuid.uuid4().hex[:6]
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_private(folder / f"{kid}{_PRIVATE_SUFFIX}", pem)
    _write_public_set(folder)
    return kid


def ensure_keys(folder: Path) -> None:
    """The embedded key set, made on first start."""
    if not _private_keys(folder) or not (folder / PUBLIC_KEYS).exists():
        add_key(folder)


def public_key_set(folder: Path) -> dict[str, Any]:
    """The JWKS document of the embedded keys (what the gateway serves)."""
    document: dict[str, Any] = json.loads((folder / PUBLIC_KEYS).read_text())
    return document


def sign(settings: AuthSettings, subject: str, role: str, hours: float = 8, *, not_before: datetime | None = None) -> str:
    """A token signed with the newest embedded key."""
    newest = _private_keys(settings.keys_dir)[-1]
    key = serialization.load_pem_private_key(newest.read_bytes(), password=None)
    now = datetime.now(UTC)
    claims = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": subject,
        settings.roles_claim.split(".")[0]: _nest(settings.roles_claim.split(".")[1:], [role]),
        "iat": now,
        "nbf": not_before or now,
        "exp": now + timedelta(hours=hours),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": newest.name.removesuffix(_PRIVATE_SUFFIX)})  # type: ignore[arg-type]


def _nest(path: Sequence[str], value: object) -> object:
    return {path[0]: _nest(path[1:], value)} if path else value


# --- verification ---------------------------------------------------------------------------------


class KeySet:
    """Public keys by kid, from a loader (the embedded file or the provider's JWKS), re-read on an unknown kid
    at most once per `refresh_seconds` so that a stream of made-up kids cannot hammer the provider."""

    def __init__(self, load: Callable[[], Mapping[str, jwt.PyJWK]], refresh_seconds: float) -> None:
        self._load = load
        self._refresh_seconds = refresh_seconds
        self._keys: Mapping[str, jwt.PyJWK] = {}
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> jwt.PyJWK | None:
        if kid not in self._keys:
            async with self._lock:
                if kid not in self._keys and time.monotonic() - self._loaded_at >= self._refresh_seconds:
                    # Keys unreadable for now: the known ones go on verifying.
                    with contextlib.suppress(OSError, ValueError, jwt.PyJWKClientError, jwt.PyJWKSetError):
                        self._keys = await asyncio.to_thread(self._load)
                    self._loaded_at = time.monotonic()
        return self._keys.get(kid)


def _embedded_loader(folder: Path) -> Callable[[], Mapping[str, jwt.PyJWK]]:
    def load() -> Mapping[str, jwt.PyJWK]:
        return {key.key_id: key for key in jwt.PyJWKSet.from_dict(public_key_set(folder)).keys if key.key_id}

    return load


def _oidc_loader(url: str) -> Callable[[], Mapping[str, jwt.PyJWK]]:
    client = jwt.PyJWKClient(url, cache_jwk_set=False, timeout=5)

    def load() -> Mapping[str, jwt.PyJWK]:
        return {key.key_id: key for key in client.get_jwk_set(refresh=True).keys if key.key_id}

    return load


def _claim(claims: Mapping[str, Any], path: str) -> object:
    value: object = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _role(value: object) -> Role | None:
    given = {value} if isinstance(value, str) else set(value) if isinstance(value, list) else set()
    return next((role for role in Role if role.value in given), None)


class TokenVerifier:
    """Checks a bearer token's signature, issuer, audience and times; says why a bad one is bad (never its content).

    A token that verified is remembered (at most `CACHE_SIZE`, each for at most `CACHE_SECONDS` and never past
    its `exp` and leeway): a caller sends the same token with every request, and checking its signature again
    is most of what verifying costs."""

    CACHE_SIZE = 10_000
    CACHE_SECONDS = 60.0

    def __init__(self, settings: AuthSettings) -> None:
        if settings.mode == "oidc" and not settings.jwks_url:
            raise ValueError("OMI_AUTH_MODE=oidc needs OMI_AUTH_JWKS_URL")
        self.settings = settings
        loader = _oidc_loader(settings.jwks_url) if settings.jwks_url else _embedded_loader(settings.keys_dir)
        self.keys = KeySet(loader, settings.key_refresh_seconds)
        # Raw token -> (its principal, wall-clock time the entry stops being trusted), oldest first.
        self._verified: dict[str, tuple[Principal, float]] = {}

    async def verify(self, authorization: str | None) -> Principal:
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("send Authorization: Bearer <token>")
        known = self._verified.get(token)
        if known is not None:
            if time.time() < known[1]:
                return known[0]
            del self._verified[token]
        principal, expires = await self._check(token)
        if len(self._verified) >= self.CACHE_SIZE:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (principal, min(expires + self.settings.leeway_seconds, time.time() + self.CACHE_SECONDS))
        return principal

    async def _check(self, token: str) -> tuple[Principal, float]:
        """The token's principal and `exp`, or why it is refused."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError as exc:
            raise Unauthenticated("the token is malformed") from exc
        if header.get("alg") not in self.settings.algorithms:
            raise Unauthenticated("the token's algorithm is not accepted")
        key = await self.keys.key(str(header.get("kid", "")))
        if key is None:
            raise Unauthenticated("the token is signed with an unknown key")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[str(header["alg"])],
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway_seconds,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the token has expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise Unauthenticated("the token is not valid yet") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthenticated("the token is for another audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthenticated("the token is from another issuer") from exc
        except jwt.InvalidSignatureError as exc:
            raise Unauthenticated("the token's signature does not verify") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("the token is invalid") from exc
        principal = Principal(subject=str(claims["sub"]), role=_role(_claim(claims, self.settings.roles_claim)))
        return principal, float(claims["exp"])
