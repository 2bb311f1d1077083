"""The ``throttle`` configuration section, validated.

Limits are declared per tier and overridden per tenant and per key id
(``tenants.<name>`` and ``keys.<key_id>`` carry the same fields as a tier;
a field set there replaces the tier's, ``null`` removes the limit). A limit
is a number, or ``{limit, burst, on_redis_error}``. Errors name the field in
full, e.g. ``throttle.tiers.free.requests_per_minute``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from middleware.adapters import REASONING_LEVELS

__all__ = [
    "LIMIT_FIELDS",
    "LimitOverrides",
    "LimitSetting",
    "OnRedisError",
    "ReasoningSettings",
    "RedisSettings",
    "RiskPolicy",
    "RiskSettings",
    "ThrottleConfig",
    "ThrottleConfigError",
    "TokenSettings",
    "parse_throttle_config",
]

OnRedisError = Literal["fail_open", "fail_closed"]
Level = Literal["low", "medium", "high", "maximum"]

#: Every limit field: name -> (kind, window in seconds; 0 for concurrency).
LIMIT_FIELDS: Mapping[str, tuple[str, float]] = {
    "requests_per_second": ("requests", 1.0),
    "requests_per_minute": ("requests", 60.0),
    "requests_per_day": ("requests", 86400.0),
    "tokens_per_minute": ("tokens", 60.0),
    "tokens_per_day": ("tokens", 86400.0),
    "reasoning_units_per_minute": ("reasoning", 60.0),
    "reasoning_units_per_hour": ("reasoning", 3600.0),
    "reasoning_units_per_day": ("reasoning", 86400.0),
    "concurrent_requests": ("concurrency", 0.0),
    "concurrent_streams": ("concurrency", 0.0),
}


_DEFAULT_WEIGHTS: dict[Level, int] = {"low": 1, "medium": 2, "high": 4, "maximum": 8}


class ThrottleConfigError(ValueError):
    """The throttle section is invalid; the message names the field."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LimitSetting(_Frozen):
    """One limit: ``limit`` per window; ``burst`` (default: ``limit``) is the bucket size."""

    limit: int = Field(gt=0)
    burst: int | None = Field(default=None, gt=0)
    on_redis_error: OnRedisError | None = None


LimitValue = int | LimitSetting


class RiskPolicy(_Frozen):
    """What a tier does to risky actors: slow down (scale limits), then suspend."""

    slow_at: float | None = Field(default=None, gt=0)
    slow_factor: float = Field(default=0.25, gt=0, le=1)
    suspend_at: float | None = Field(default=None, gt=0)
    suspend_for_s: float = Field(default=900.0, gt=0)


class LimitOverrides(_Frozen):
    """The limit fields of a tier, tenant or key; unset fields inherit."""

    requests_per_second: LimitValue | None = None
    requests_per_minute: LimitValue | None = None
    requests_per_day: LimitValue | None = None
    tokens_per_minute: LimitValue | None = None
    tokens_per_day: LimitValue | None = None
    reasoning_units_per_minute: LimitValue | None = None
    reasoning_units_per_hour: LimitValue | None = None
    reasoning_units_per_day: LimitValue | None = None
    concurrent_requests: LimitValue | None = None
    concurrent_streams: LimitValue | None = None
    max_reasoning_level: Level | None = None
    default_max_tokens: int | None = Field(default=None, gt=0)
    risk: RiskPolicy | None = None

    @field_validator(*LIMIT_FIELDS, mode="before")
    @classmethod
    def _positive(cls, value: Any) -> Any:
        if isinstance(value, bool) or (isinstance(value, int) and value <= 0):
            raise ValueError("must be a positive integer or {limit, burst, on_redis_error}")
        return value


class RedisSettings(_Frozen):
    """The shared Redis: connection, deadlines, circuit breaker, local fallback."""

    url: str = "redis://127.0.0.1:6379/0"
    #: Talk to a Redis Cluster (``url`` names any node); each key's state is in one slot.
    cluster: bool = False
    #: Environment variable that, when set, overrides ``url`` (passwords stay out of config).
    url_env: str = "TOLLGATE_REDIS_URL"
    #: Deadline of one throttle call (reserve or settle), pool wait included.
    timeout_ms: float = Field(default=100.0, gt=0)
    connect_timeout_ms: float = Field(default=500.0, gt=0)
    max_connections: int = Field(default=64, gt=0)
    breaker_failures: int = Field(default=3, gt=0)
    breaker_open_s: float = Field(default=5.0, gt=0)
    #: Share of each limit a replica enforces locally while Redis is down
    #: (e.g. 0.25 with four replicas); fail_open limits only.
    fallback_fraction: float = Field(default=1.0, gt=0, le=1)

    @field_validator("url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value


class ReasoningSettings(_Frozen):
    """Cost units per reasoning level, and what to do above a tier's maximum."""

    weights: Mapping[Level, int] = Field(default_factory=lambda: dict(_DEFAULT_WEIGHTS))
    over_max: Literal["cap", "refuse"] = "cap"
    #: Level charged when a request names none (``None``: no charge).
    unspecified_level: Level | None = None

    @field_validator("weights")
    @classmethod
    def _all_levels(cls, value: Mapping[str, int]) -> Mapping[str, int]:
        missing = [lvl for lvl in REASONING_LEVELS if lvl not in value]
        if missing:
            raise ValueError(f"missing weights for {', '.join(missing)}")
        if any(v < 0 for v in value.values()):
            raise ValueError("weights must be >= 0")
        return value


class RiskSettings(_Frozen):
    """Actor risk: the score halves every ``half_life_s`` seconds."""

    half_life_s: float = Field(default=3600.0, gt=0)


class TokenSettings(_Frozen):
    """Prompt token counting and the completion estimate."""

    default_max_tokens: int = Field(default=1024, gt=0)
    #: Encoding for models tiktoken does not know (counts are then an estimate).
    fallback_encoding: Literal["o200k_base", "cl100k_base"] = "o200k_base"
    #: Encodings loaded at start-up; others load on first use (~35-110 MB each).
    preload: tuple[Literal["o200k_base", "cl100k_base"], ...] = ("o200k_base",)
    #: Texts longer than this are tokenized off the event loop.
    offload_chars: int = Field(default=8192, gt=0)


class ThrottleConfig(_Frozen):
    """The whole ``throttle`` section (see README for an example)."""

    enabled: bool = True
    backend: Literal["memory", "redis"] = "memory"
    redis: RedisSettings = RedisSettings()
    on_redis_error: OnRedisError = "fail_open"
    #: Leases of in-flight requests are renewed every third of this; a crashed
    #: replica's leases lapse after it.
    lease_ttl_s: float = Field(default=60.0, gt=0)
    tokens: TokenSettings = TokenSettings()
    reasoning: ReasoningSettings = ReasoningSettings()
    risk: RiskSettings = RiskSettings()
    tiers: Mapping[str, LimitOverrides] = Field(
        default_factory=lambda: {"default": LimitOverrides()}
    )
    tenants: Mapping[str, LimitOverrides] = Field(default_factory=dict)
    keys: Mapping[str, LimitOverrides] = Field(default_factory=dict)


def parse_throttle_config(raw: Mapping[str, Any] | None) -> ThrottleConfig:
    """Validate the raw ``throttle`` mapping; errors name ``throttle.<path>``."""
    try:
        return ThrottleConfig.model_validate(dict(raw or {}))
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            # Drop pydantic's union-branch labels ("int", "LimitSetting") from the path.
            loc = [str(p) for p in err["loc"] if p not in ("int", "LimitSetting")]
            parts.append(f"{'.'.join(['throttle', *loc])}: {err['msg']}")
        raise ThrottleConfigError("; ".join(parts)) from None
