"""Pseudonyms for published documents: a case reference becomes a stable HMAC-SHA256 of it under a secret key,
so a published report never shows an offender's reference yet the same case has the same pseudonym throughout."""

import hashlib
import hmac
import os
import secrets
from pathlib import Path

PSEUDONYM_KEY_FILE = "pseudonym.key"


def pseudonym(reference: str, key: bytes, *, prefix: str = "case-", length: int = 12) -> str:
    """The published stand-in for ``reference`` (same reference and key, same pseudonym)."""
    if len(key) < 16:
        raise ValueError("a pseudonym key needs at least 16 bytes")
    digest = hmac.new(key, reference.encode("utf-8"), hashlib.sha256).hexdigest()
    return prefix + digest[:length]


def local_pseudonym_key(folder: Path) -> bytes:
    """The embedded default key, made once under ``folder`` (mode 0600) when no key is configured."""
    path = folder / PSEUDONYM_KEY_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_bytes()
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_hex(32).encode())
    return path.read_bytes()
