"""The ``audit`` configuration section, validated once into frozen settings.

Example::

    audit:
      enabled: true
      sinks:
        - type: stdout                 # one JSON line per event on stdout (log shipping)
        - type: file
          path: /var/log/tollgate/audit-{hostname}.jsonl   # {hostname}, {pid}: one file per process
          max_bytes: 104857600         # rotate when the file would grow past this
          backups: 20                  # rotated files kept (0: keep all)
      key_env: TOLLGATE_AUDIT_KEY      # where the HMAC chain key comes from
      on_failure: fail_open            # fail_closed: refuse traffic while events are lost
      queue_size: 10000                # per sink; overflow drops (counted)
      include_redacted_excerpts: false
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

__all__ = [
    "AuditConfigError",
    "AuditSettings",
    "FileSinkSettings",
    "SinkSettings",
    "StdoutSinkSettings",
    "parse_audit_settings",
    "resolve_key",
]


class AuditConfigError(ValueError):
    """The ``audit`` section is invalid; the message names the field."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StdoutSinkSettings(_Frozen):
    """Audit lines on the process's standard output (operational logs go to stderr)."""

    type: Literal["stdout"] = "stdout"
    name: str = "stdout"


class FileSinkSettings(_Frozen):
    """An append-only JSON-lines file, rotated by size; the chain continues across files."""

    type: Literal["file"] = "file"
    name: str = "file"
    path: str
    max_bytes: int = Field(100 * 1024 * 1024, gt=0)
    backups: int = Field(20, ge=0)
    fsync: bool = False


SinkSettings = Annotated[StdoutSinkSettings | FileSinkSettings, Field(discriminator="type")]


class AuditSettings(_Frozen):
    """Validated ``audit`` settings (see the module docstring)."""

    enabled: bool = True
    sinks: tuple[SinkSettings, ...] = (StdoutSinkSettings(),)
    key: SecretStr | None = None
    key_env: str = "TOLLGATE_AUDIT_KEY"
    on_failure: Literal["fail_open", "fail_closed"] = "fail_open"
    queue_size: int = Field(10_000, gt=0, le=1_000_000)
    include_redacted_excerpts: bool = False
    excerpt_context_chars: int = Field(24, ge=0, le=200)
    shutdown_timeout_s: float = Field(10.0, gt=0)
    retry_interval_s: float = Field(1.0, gt=0)


def parse_audit_settings(raw: Mapping[str, Any] | None) -> AuditSettings:
    """Validate ``config.audit``; raises :class:`AuditConfigError` naming the bad field."""
    try:
        settings = AuditSettings.model_validate(dict(raw or {}))
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in ("audit", *err["loc"]))
            problems.append(f"{where}: {err['msg']}")
        raise AuditConfigError("; ".join(problems)) from None
    names = [s.name for s in settings.sinks]
    if len(set(names)) != len(names):
        raise AuditConfigError("audit.sinks: sink names must be unique (set `name`)")
    return settings


def resolve_key(
    settings: AuditSettings, environ: Mapping[str, str] | None = None
) -> tuple[bytes, bool]:
    """The chain key and whether it is configured (False: a random per-process key).

    ``audit.key`` wins, then the environment variable named by ``key_env``.
    Without either the chain still links events, but nobody can verify it
    after the process exits.
    """
    env = os.environ if environ is None else environ
    if settings.key is not None and settings.key.get_secret_value():
        return settings.key.get_secret_value().encode(), True
    value = env.get(settings.key_env, "")
    if value:
        return value.encode(), True
    return secrets.token_bytes(32), False
