"""Per-key throttling: limits, reasoning budgets, actor risk; memory and Redis backends.

Build with :meth:`ThrottleAddon.from_config` and put it right after the
identity addon (and before policy, which reads ``ctx.state["actor_risk"]``).
"""

from __future__ import annotations

from middleware.throttle._addon import ThrottleAddon
from middleware.throttle._backend import (
    BACKENDS,
    BackendUnavailable,
    Charge,
    LimitState,
    Outcome,
    ReservePlan,
    SettleOutcome,
    SettlePlan,
    ThrottleBackend,
)
from middleware.throttle._breaker import CircuitBreaker
from middleware.throttle._config import (
    LIMIT_FIELDS,
    LimitOverrides,
    LimitSetting,
    RedisSettings,
    RiskPolicy,
    ThrottleConfig,
    ThrottleConfigError,
    parse_throttle_config,
)
from middleware.throttle._headers import format_duration, rate_limit_headers
from middleware.throttle._memory import MemoryBackend
from middleware.throttle._redis import RedisBackend, redis_keys
from middleware.throttle._specs import KeyPolicy, LimitSpec, PolicyBook
from middleware.throttle._ticket import Ticket
from middleware.throttle._tokens import TokenCounter, load_encoding
from middleware.usage import record_usage, total_tokens

__all__ = [
    "BACKENDS",
    "LIMIT_FIELDS",
    "BackendUnavailable",
    "Charge",
    "CircuitBreaker",
    "KeyPolicy",
    "LimitOverrides",
    "LimitSetting",
    "LimitSpec",
    "LimitState",
    "MemoryBackend",
    "Outcome",
    "PolicyBook",
    "RedisBackend",
    "RedisSettings",
    "ReservePlan",
    "RiskPolicy",
    "SettleOutcome",
    "SettlePlan",
    "ThrottleAddon",
    "ThrottleBackend",
    "ThrottleConfig",
    "ThrottleConfigError",
    "Ticket",
    "TokenCounter",
    "format_duration",
    "load_encoding",
    "parse_throttle_config",
    "rate_limit_headers",
    "record_usage",
    "redis_keys",
    "total_tokens",
]
