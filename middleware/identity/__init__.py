"""Identity: API key extraction, keyed hashing, key registry, gateway mode."""

from __future__ import annotations

from middleware.identity._addon import ANONYMOUS_KEY_ID, IdentityAddon, resolve_secret
from middleware.identity._cli import register, run_keys_hash
from middleware.identity._config import (
    KEY_ID_PATTERN,
    IdentityConfig,
    IdentityConfigError,
    KeyEntry,
    is_production,
    parse_identity_config,
)
from middleware.identity._keys import AUTH_HEADERS, extract_key, key_id_for

__all__ = [
    "ANONYMOUS_KEY_ID",
    "AUTH_HEADERS",
    "KEY_ID_PATTERN",
    "IdentityAddon",
    "IdentityConfig",
    "IdentityConfigError",
    "KeyEntry",
    "extract_key",
    "is_production",
    "key_id_for",
    "parse_identity_config",
    "register",
    "resolve_secret",
    "run_keys_hash",
]
