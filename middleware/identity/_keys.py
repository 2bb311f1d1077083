"""API keys: where they are read from and how they become a ``key_id``.

The raw key exists only in the request headers and in this module's
arguments; everything downstream (logs, metrics, Redis, config) sees the
``key_id``: ``k_`` + the first 96 bits of HMAC-SHA256(secret, key), in hex.
Without the secret a key id cannot be tested against guessed keys.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

__all__ = ["AUTH_HEADERS", "extract_key", "key_id_for"]

#: Headers an API key may arrive in, in order of precedence.
AUTH_HEADERS: tuple[str, ...] = ("authorization", "x-api-key", "api-key")

_KEY_ID_HEX = 24


def extract_key(headers: Mapping[str, str]) -> str | None:
    """The caller's API key, or ``None``.

    ``Authorization: Bearer <key>`` first (scheme case-insensitive), then
    ``x-api-key``, then ``api-key`` (Azure style). Blank values are absent.
    """
    auth = headers.get("authorization", "").strip()
    if auth:
        scheme, _, rest = auth.partition(" ")
        if scheme.lower() == "bearer" and rest.strip():
            return rest.strip()
    for name in AUTH_HEADERS[1:]:
        value = headers.get(name, "").strip()
        if value:
            return value
    return None


def key_id_for(key: str, secret: bytes) -> str:
    """The stable, non-reversible id of ``key`` under ``secret``."""
    digest = hmac.new(secret, key.encode("utf-8"), hashlib.sha256).hexdigest()
    return "k_" + digest[:_KEY_ID_HEX]
