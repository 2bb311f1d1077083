"""The identity addon: API key in, :class:`~middleware._context.Identity` out.

Runs first. It fills ``ctx.identity`` and, in gateway mode, swaps the
client's (virtual) key for the upstream key in ``ctx.upstream_headers``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import structlog

from middleware._context import Identity, RequestContext
from middleware.addons import Addon
from middleware.errors import ApiError
from middleware.identity._config import (
    IdentityConfig,
    IdentityConfigError,
    is_production,
    parse_identity_config,
)
from middleware.identity._keys import AUTH_HEADERS, extract_key, key_id_for

if TYPE_CHECKING:
    from middleware.config import Config

__all__ = ["ANONYMOUS_KEY_ID", "IdentityAddon", "resolve_secret"]

log = structlog.get_logger("tollgate.identity")

#: ``key_id`` of requests without a key when ``require_key`` is false.
ANONYMOUS_KEY_ID = "anonymous"


def resolve_secret(
    config: IdentityConfig, environ: Mapping[str, str] | None = None, *, ephemeral: bool = True
) -> bytes:
    """The HMAC secret: ``identity.secret``, else ``$<secret_env>``.

    Without either, production mode (and ``ephemeral=False``) raises
    :class:`IdentityConfigError`; otherwise a random per-process secret is
    used, so key ids change on restart and differ between replicas.
    """
    env = os.environ if environ is None else environ
    secret = config.secret or env.get(config.secret_env, "")
    if secret:
        if len(secret) < 16:
            raise IdentityConfigError(f"identity.secret: ${config.secret_env} is shorter than 16")
        return secret.encode("utf-8")
    if is_production(config, env) or not ephemeral:
        raise IdentityConfigError(
            f"identity.secret: no key-hashing secret; set identity.secret or ${config.secret_env}"
        )
    log.warning("identity_ephemeral_secret", hint=f"set ${config.secret_env}")
    return secrets.token_bytes(32)


def _unauthorized(message: str, code: str) -> ApiError:
    return ApiError(
        401,
        message,
        type="invalid_request_error",
        code=code,
        headers={"www-authenticate": 'Bearer realm="tollgate"'},
    )


class IdentityAddon(Addon):
    """Identify the caller (see :class:`IdentityConfig` for the knobs).

    Refusals are 401 in OpenAI's error shape: ``missing_api_key`` (no key and
    ``require_key``, which defaults to on in production mode only),
    ``invalid_api_key`` (unknown key with ``unknown_keys: refuse``, or a
    disabled key).
    """

    name: ClassVar[str] = "identity"

    def __init__(self, config: IdentityConfig, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.config = config
        self._secret = resolve_secret(config, env)
        self.require_key = (
            config.require_key if config.require_key is not None else is_production(config, env)
        )
        self._upstream_key: str | None = None
        if config.mode == "gateway":
            self._upstream_key = env.get(config.upstream_key_env) or None
            if self._upstream_key is None:
                raise IdentityConfigError(
                    f"identity.upstream_key_env: gateway mode needs ${config.upstream_key_env}"
                )

    @classmethod
    def from_config(cls, config: Config) -> IdentityAddon:
        """Build from the application config (validates ``config.identity``)."""
        return cls(parse_identity_config(config.identity))

    def key_id(self, key: str) -> str:
        """The key id of ``key`` under this deployment's secret."""
        return key_id_for(key, self._secret)

    def identify(self, headers: Mapping[str, str]) -> Identity:
        """Resolve the caller from request headers; raise ``ApiError`` 401 to refuse."""
        cfg = self.config
        key = extract_key(headers)
        if key is None:
            if self.require_key:
                raise _unauthorized(
                    "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.",
                    "missing_api_key",
                )
            return Identity(ANONYMOUS_KEY_ID, cfg.default_tenant, cfg.default_tier, False)
        key_id = key_id_for(key, self._secret)
        entry = cfg.keys.get(key_id)
        if entry is not None:
            if entry.disabled:
                raise _unauthorized("This API key has been disabled.", "invalid_api_key")
            return Identity(key_id, entry.tenant, entry.tier, True)
        if cfg.unknown_keys == "refuse":
            raise _unauthorized("Incorrect API key provided.", "invalid_api_key")
        return Identity(key_id, cfg.default_tenant, cfg.default_tier, False)

    async def request(self, ctx: RequestContext) -> None:
        """Fill ``ctx.identity``; in gateway mode put the upstream key upstream."""
        ctx.identity = self.identify(ctx.request.headers)
        if self._upstream_key is not None:
            for header in AUTH_HEADERS:
                ctx.upstream_headers.popall(header, None)
            value = self._upstream_key
            if self.config.upstream_auth_header == "authorization":
                value = f"Bearer {value}"
            ctx.upstream_headers[self.config.upstream_auth_header] = value

    def health(self) -> dict[str, Any]:
        """Always ready; reports the mode and registry size (no keys)."""
        return {"ok": True, "mode": self.config.mode, "registered_keys": len(self.config.keys)}
