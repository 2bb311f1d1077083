"""The ``policy:`` section of the configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from middleware.config import ConfigError

__all__ = ["PolicySettings"]


class PolicySettings(BaseModel):
    """How the proxy loads and enforces policies.

    ``dir``: the policy directory (relative paths resolve against the working
    directory). ``expose_rule_ids``: name rule ids in block errors (off by
    default: naming the exact rule helps attackers probe). ``block_status``:
    HTTP status of a block. ``reload_interval_s``: how often the directory is
    polled for changes (0 turns the watcher off; SIGHUP and the admin
    endpoint still reload). ``enabled: false`` leaves the policy addon out.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    dir: str = "policies"
    expose_rule_ids: bool = False
    block_status: int = Field(400, ge=400, le=599)
    reload_interval_s: float = Field(5.0, ge=0.0)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PolicySettings:
        """Validate ``Config.policy``; raises ``ConfigError`` naming the bad field."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            detail = "; ".join(
                f"policy.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"invalid configuration: {detail}") from None
