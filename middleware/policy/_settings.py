"""The ``policy:`` section of the configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from middleware.config import ConfigError

__all__ = ["PolicySettings", "StreamSettings"]


class StreamSettings(BaseModel):
    """How streamed output is screened.

    ``overlap_chars``: already released text kept as context for the next
    window (context words, assignment keys; held text is always in the
    window, so this only bounds look-behind -- and every window re-scans it).
    ``max_hold_chars``: the most text held back at once (bounds memory and
    latency; keep it above the longest pattern you enforce).
    ``windowed_detectors``: costly (learned) detectors run on windows of
    ``window_chars`` (or at a sentence end past ``min_window_chars``) instead
    of on every word; text waits for its window only when a ``hold`` rule
    needs them. When no ``hold`` rule does (the classifiers only feed ``cut``
    and ``audit`` rules), nothing waits, so sentence windows start at
    ``cut_window_chars`` instead: fewer, larger windows (each costs a hand-off
    to a worker process) at the price of a cut landing up to that much text
    later.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    overlap_chars: int = Field(64, ge=0)
    max_hold_chars: int = Field(2048, ge=64)
    windowed_detectors: tuple[str, ...] = ("misuse", "injection", "jailbreak")
    window_chars: int = Field(400, ge=32)
    min_window_chars: int = Field(80, ge=1)
    cut_window_chars: int = Field(240, ge=1)


class PolicySettings(BaseModel):
    """How the proxy loads and enforces policies.

    ``dir``: the policy directory (relative paths resolve against the working
    directory). ``expose_rule_ids``: name rule ids in block errors (off by
    default: naming the exact rule helps attackers probe). ``block_status``:
    HTTP status of a block. ``reload_interval_s``: how often the directory is
    polled for changes (0 turns the watcher off; SIGHUP and the admin
    endpoint still reload). ``enabled: false`` leaves the policy addon out.
    ``stream``: see :class:`StreamSettings`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    dir: str = "policies"
    expose_rule_ids: bool = False
    block_status: int = Field(400, ge=400, le=599)
    reload_interval_s: float = Field(5.0, ge=0.0)
    stream: StreamSettings = StreamSettings()

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
