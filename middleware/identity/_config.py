"""The ``identity`` configuration section: secret, mode, key registry.

Validated here (not in ``middleware.config``) because identity owns it. Field
errors are reported with their full path, e.g. ``identity.keys.k_ab12.tier``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = [
    "KEY_ID_PATTERN",
    "IdentityConfig",
    "IdentityConfigError",
    "KeyEntry",
    "is_production",
    "parse_identity_config",
]

#: What a key id looks like: ``k_`` and 24 lowercase hex digits (96 bits of HMAC).
KEY_ID_PATTERN = re.compile(r"^k_[0-9a-f]{24}$")


class IdentityConfigError(ValueError):
    """The identity section is invalid; the message names the field."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KeyEntry(_Frozen):
    """One registered key: who owns it and which tier it gets."""

    tenant: str = Field(min_length=1, max_length=64)
    tier: str = Field(min_length=1, max_length=64)
    #: Human label for admins (never the key itself).
    name: str | None = None
    #: Disabled keys are refused with 401 even though they are registered.
    disabled: bool = False


class IdentityConfig(_Frozen):
    """How callers are identified.

    ``secret`` (or the environment variable named by ``secret_env``) keys the
    HMAC that turns an API key into its ``key_id``; every replica sharing a
    Redis must use the same secret. ``mode`` is ``passthrough`` (the client's
    key goes upstream) or ``gateway`` (clients hold virtual keys; the
    upstream key comes from ``upstream_key_env``). ``keys`` maps key ids (see
    ``tollgate keys hash``) to tenant and tier; ``unknown_keys`` says whether
    unregistered keys get ``default_tenant``/``default_tier`` or a 401.
    """

    secret: str | None = Field(default=None, min_length=16)
    secret_env: str = "TOLLGATE_KEY_SECRET"
    production: bool = False
    mode: Literal["passthrough", "gateway"] = "passthrough"
    upstream_key_env: str = "TOLLGATE_UPSTREAM_KEY"
    upstream_auth_header: Literal["authorization", "x-api-key", "api-key"] = "authorization"
    #: Refuse requests without a key (401); unset: refuse in production mode only.
    require_key: bool | None = None
    unknown_keys: Literal["default_tier", "refuse"] = "default_tier"
    default_tenant: str = Field("default", min_length=1, max_length=64)
    default_tier: str = Field("default", min_length=1, max_length=64)
    keys: Mapping[str, KeyEntry] = Field(default_factory=dict)

    @field_validator("keys")
    @classmethod
    def _key_ids(cls, value: Mapping[str, KeyEntry]) -> Mapping[str, KeyEntry]:
        for key_id in value:
            if not KEY_ID_PATTERN.match(key_id):
                raise ValueError(
                    f"{key_id!r} is not a key id (k_ + 24 hex digits); "
                    "register keys by `tollgate keys hash`, never the raw key"
                )
        return value

    def tiers(self) -> set[str]:
        """Every tier name this section refers to (checked against ``throttle.tiers``)."""
        return {self.default_tier} | {entry.tier for entry in self.keys.values()}


def is_production(config: IdentityConfig, environ: Mapping[str, str] | None = None) -> bool:
    """Production mode: ``identity.production`` or ``TOLLGATE_ENV=production``."""
    env = os.environ if environ is None else environ
    return config.production or env.get("TOLLGATE_ENV", "").lower() == "production"


def parse_identity_config(raw: Mapping[str, Any] | None) -> IdentityConfig:
    """Validate the raw ``identity`` mapping; errors name ``identity.<field>``."""
    try:
        return IdentityConfig.model_validate(dict(raw or {}))
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            loc = ".".join(["identity", *(str(p) for p in err["loc"])])
            parts.append(f"{loc}: {err['msg']}")
        raise IdentityConfigError("; ".join(parts)) from None
