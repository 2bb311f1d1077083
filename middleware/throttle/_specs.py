"""Compiled limits: what applies to one key, as immutable values.

:func:`compile_policies` turns a :class:`ThrottleConfig` into a
:class:`PolicyBook`, which resolves tier -> tenant -> key overrides once per
distinct combination and caches the resulting :class:`KeyPolicy`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from middleware.throttle._config import (
    LIMIT_FIELDS,
    LimitOverrides,
    LimitSetting,
    RiskPolicy,
    ThrottleConfig,
)

__all__ = ["KeyPolicy", "LimitKind", "LimitSpec", "PolicyBook", "scaled"]

LimitKind = Literal["requests", "tokens", "reasoning", "concurrency"]

_NO_RISK = RiskPolicy()
_POLICY_FIELDS = ("max_reasoning_level", "default_max_tokens", "risk")


@dataclass(frozen=True, slots=True)
class LimitSpec:
    """One limit as enforced.

    Rate kinds (requests, tokens, reasoning) are GCRA buckets of ``burst``
    units refilling at ``limit`` per ``period_s``; ``concurrency`` is a lease
    set of at most ``limit`` members (``period_s`` 0).
    """

    name: str
    kind: LimitKind
    limit: int
    period_s: float
    burst: int
    fail_closed: bool
    #: Only requests with ``stream: true`` take this lease (``concurrent_streams``).
    streams_only: bool = False

    @property
    def emission_s(self) -> float:
        """Seconds per unit at the steady rate."""
        return self.period_s / self.limit


def scaled(spec: LimitSpec, factor: float) -> LimitSpec:
    """``spec`` with limit and burst scaled by ``factor`` (never below 1)."""
    if factor >= 1.0:
        return spec
    return LimitSpec(
        spec.name,
        spec.kind,
        max(1, math.floor(spec.limit * factor)),
        spec.period_s,
        max(1, math.floor(spec.burst * factor)),
        spec.fail_closed,
        spec.streams_only,
    )


@dataclass(frozen=True, slots=True)
class KeyPolicy:
    """Everything the throttle enforces for one key."""

    tier: str
    tenant: str
    limits: tuple[LimitSpec, ...]
    max_reasoning_level: str | None
    default_max_tokens: int
    risk: RiskPolicy

    def of_kind(self, kind: LimitKind) -> tuple[LimitSpec, ...]:
        """The limits of one kind, in declaration order."""
        return tuple(s for s in self.limits if s.kind == kind)


def _merge(layers: list[LimitOverrides]) -> dict[str, object]:
    merged: dict[str, object] = {}
    for layer in layers:
        for name in layer.model_fields_set:
            merged[name] = getattr(layer, name)
    return merged


class PolicyBook:
    """Resolves the effective :class:`KeyPolicy` for (tier, tenant, key id)."""

    def __init__(self, config: ThrottleConfig) -> None:
        self.config = config
        self._cache: dict[tuple[str, str, str | None], KeyPolicy] = {}

    def for_key(self, tier: str, tenant: str, key_id: str) -> KeyPolicy:
        """The policy of one key; unknown tiers raise ``KeyError``."""
        own = key_id if key_id in self.config.keys else None
        cache_key = (tier, tenant, own)
        found = self._cache.get(cache_key)
        if found is None:
            found = self._build(tier, tenant, own)
            # Bounded: at most tiers x tenants x configured keys entries.
            self._cache[cache_key] = found
        return found

    def _build(self, tier: str, tenant: str, key_id: str | None) -> KeyPolicy:
        cfg = self.config
        layers = [cfg.tiers[tier]]
        if tenant in cfg.tenants:
            layers.append(cfg.tenants[tenant])
        if key_id is not None:
            layers.append(cfg.keys[key_id])
        merged = _merge(layers)
        specs: list[LimitSpec] = []
        for name, (kind, period) in LIMIT_FIELDS.items():
            value = merged.get(name)
            if value is None:
                continue
            setting = value if isinstance(value, LimitSetting) else LimitSetting(limit=value)
            on_error = setting.on_redis_error or cfg.on_redis_error
            burst = setting.burst or setting.limit
            specs.append(
                LimitSpec(
                    name=name,
                    kind=kind,  # type: ignore[arg-type]
                    limit=setting.limit,
                    period_s=period,
                    burst=burst if kind != "concurrency" else setting.limit,
                    fail_closed=on_error == "fail_closed",
                    streams_only=name == "concurrent_streams",
                )
            )
        level = merged.get("max_reasoning_level")
        max_tokens = merged.get("default_max_tokens")
        risk = merged.get("risk")
        return KeyPolicy(
            tier=tier,
            tenant=tenant,
            limits=tuple(specs),
            max_reasoning_level=level if isinstance(level, str) else None,
            default_max_tokens=(
                max_tokens if isinstance(max_tokens, int) else cfg.tokens.default_max_tokens
            ),
            risk=risk if isinstance(risk, RiskPolicy) else _NO_RISK,
        )
