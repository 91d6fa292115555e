"""Canonical JSON and its SHA-256: the one way a document is hashed (framework versions, the
assessments a snapshot came from, idempotent request bodies), so equal content always hashes equal."""

import hashlib
import json
from typing import Any


def canonical_sha256(value: Any) -> str:
    """SHA-256 (hex) of ``value`` as JSON with sorted keys and no spaces."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
