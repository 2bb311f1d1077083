"""Tollgate's configuration: one YAML file, ``TOLLGATE_*`` overrides, validated once.

The loaded :class:`Config` is immutable (frozen pydantic models); a reload
builds a new object. Sections owned by later layers (identity, throttle,
policy, detectors, audit) are kept as plain mappings here and validated by
the module that owns them when the application is built, so this module
does not import them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = [
    "ENV_OVERRIDES",
    "Config",
    "ConfigError",
    "LoggingConfig",
    "RoutesConfig",
    "ServerConfig",
    "UpstreamConfig",
    "load_config",
]


class ConfigError(ValueError):
    """The configuration is invalid; the message names the bad field."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ServerConfig(_Frozen):
    """The public (proxy) and admin listeners."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    admin_host: str = "127.0.0.1"
    admin_port: int = Field(8081, ge=0, le=65535)
    max_body_bytes: int = Field(4 * 1024 * 1024, gt=0)
    shutdown_grace_s: float = Field(30.0, ge=0)


class UpstreamConfig(_Frozen):
    """The one upstream API Tollgate fronts; clients never choose it."""

    url: str = "http://127.0.0.1:9000"
    connect_timeout_s: float = Field(5.0, gt=0)
    first_byte_timeout_s: float = Field(120.0, gt=0)
    idle_timeout_s: float = Field(60.0, gt=0)
    max_connections: int = Field(256, gt=0)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


class RoutesConfig(_Frozen):
    """Which routes are served; unknown routes are refused unless passed through."""

    passthrough_unknown: bool = False
    disabled: tuple[str, ...] = ()


class LoggingConfig(_Frozen):
    """Operational log (not the audit log)."""

    format: Literal["json", "console"] = "json"
    level: Literal["debug", "info", "warning", "error"] = "info"
    access_log: bool = True


class Config(_Frozen):
    """The whole configuration.

    ``identity``, ``throttle``, ``policy``, ``detectors``, ``audit`` and
    ``metrics`` are validated by their owning modules.
    """

    server: ServerConfig = ServerConfig()
    upstream: UpstreamConfig = UpstreamConfig()
    routes: RoutesConfig = RoutesConfig()
    logging: LoggingConfig = LoggingConfig()
    identity: Mapping[str, Any] = Field(default_factory=dict)
    throttle: Mapping[str, Any] = Field(default_factory=dict)
    policy: Mapping[str, Any] = Field(default_factory=dict)
    detectors: Mapping[str, Any] = Field(default_factory=dict)
    audit: Mapping[str, Any] = Field(default_factory=dict)
    metrics: Mapping[str, Any] = Field(default_factory=dict)
    source: str | None = Field(default=None, exclude=True)


#: Short environment names for the settings people override most;
#: any setting can also be set as ``TOLLGATE_<SECTION>__<FIELD>``.
ENV_OVERRIDES: Mapping[str, tuple[str, ...]] = {
    "TOLLGATE_UPSTREAM_URL": ("upstream", "url"),
    "TOLLGATE_HOST": ("server", "host"),
    "TOLLGATE_PORT": ("server", "port"),
    "TOLLGATE_ADMIN_HOST": ("server", "admin_host"),
    "TOLLGATE_ADMIN_PORT": ("server", "admin_port"),
    "TOLLGATE_LOG_FORMAT": ("logging", "format"),
    "TOLLGATE_LOG_LEVEL": ("logging", "level"),
}


def _set_path(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = data
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node[path[-1]] = value


def _env_overrides(environ: Mapping[str, str]) -> list[tuple[tuple[str, ...], Any]]:
    out: list[tuple[tuple[str, ...], Any]] = []
    for name, value in sorted(environ.items()):
        if name in ENV_OVERRIDES:
            path = ENV_OVERRIDES[name]
        elif name.startswith("TOLLGATE_") and "__" in name:
            path = tuple(p.lower() for p in name[len("TOLLGATE_") :].split("__"))
        else:
            continue
        # YAML scalars: "8080" -> 8080, "true" -> True, plain strings stay strings.
        out.append((path, yaml.safe_load(value) if value.strip() else value))
    return out


def _describe(exc: ValidationError, source: str) -> str:
    lines = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "(root)"
        lines.append(f"{field}: {err['msg']}")
    return f"invalid configuration in {source}: " + "; ".join(lines)


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[tuple[str, ...], Any] | None = None,
) -> Config:
    """Load and validate the configuration.

    ``path`` defaults to ``$TOLLGATE_CONFIG``; with neither, built-in defaults
    apply. Environment overrides come next, then ``overrides`` (command-line
    flags). Raises :class:`ConfigError` naming the bad field.
    """
    env = os.environ if environ is None else environ
    path = path or env.get("TOLLGATE_CONFIG") or None
    data: dict[str, Any] = {}
    source = "defaults"
    if path is not None:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read configuration {source}: {exc.strerror}") from None
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"invalid YAML in {source}: {exc}") from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"invalid configuration in {source}: top level must be a mapping")
        data = loaded
    for key_path, value in _env_overrides(env):
        _set_path(data, key_path, value)
    for key_path, value in (overrides or {}).items():
        _set_path(data, key_path, value)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None
    return config.model_copy(update={"source": source})
