"""The in-process backend: one process, no dependency, the embedded default.

Same semantics as the Redis backend. Each step runs without an ``await``
between reading and writing state, so it is atomic on the event loop
without a lock. Idle keys (full buckets, no leases, negligible risk) are
swept periodically so memory stays bounded by the active key set.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from middleware.throttle._backend import (
    LimitState,
    Outcome,
    ReservePlan,
    SettleOutcome,
    SettlePlan,
)
from middleware.throttle._gcra import GcraResult, decayed, gcra_adjust, gcra_take
from middleware.throttle._specs import LimitSpec, scaled

__all__ = ["MemoryBackend"]

_SWEEP_EVERY = 4096
_RISK_FLOOR = 1e-3
_LEASE_RETRY_S = 1.0


@dataclass(slots=True)
class _KeyState:
    tats: dict[str, float] = field(default_factory=dict)
    leases: dict[str, dict[str, float]] = field(default_factory=dict)
    risk: float = 0.0
    risk_t: float = 0.0
    suspended_until: float = 0.0
    reason: str = ""

    def idle(self, now: float, half_life_s: float) -> bool:
        return (
            all(t <= now for t in self.tats.values())
            and not any(self.leases.values())
            and decayed(self.risk, now - self.risk_t, half_life_s) < _RISK_FLOOR
            and self.suspended_until <= now
        )


class MemoryBackend:
    """Limit state in a dict, keyed by key id. ``clock`` is wall time (epoch s)."""

    name = "memory"

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._keys: dict[str, _KeyState] = {}
        self._ops = 0
        self._half_life = 3600.0

    def key_count(self) -> int:
        """Keys with state in memory (idle ones are swept every few thousand steps)."""
        return len(self._keys)

    def leases_held(self, key_id: str) -> int:
        """Live leases of a key across all its concurrency limits (for tests and admin)."""
        state = self._keys.get(key_id)
        if state is None:
            return 0
        now = self._clock()
        return sum(1 for lset in state.leases.values() for exp in lset.values() if exp > now)

    async def reserve(self, key_id: str, plan: ReservePlan) -> Outcome:
        """Check and take every charge of ``plan``, or none (atomic on the loop)."""
        now = self._clock()
        self._half_life = plan.half_life_s
        self._maybe_sweep(now)
        st = self._keys.setdefault(key_id, _KeyState())
        risk = decayed(st.risk, now - st.risk_t, plan.half_life_s)
        if st.suspended_until > now:
            return Outcome(
                "suspended", risk, 1.0, suspended_until=st.suspended_until, reason=st.reason
            )
        factor = plan.slow_factor if plan.slow_at is not None and risk >= plan.slow_at else 1.0
        results: list[GcraResult | None] = []
        states: list[LimitState] = []
        refused: int | None = None
        retry = 0.0
        for i, charge in enumerate(plan.charges):
            spec = scaled(charge.spec, factor)
            if spec.kind == "concurrency":
                lset = st.leases.setdefault(spec.name, {})
                for lease, exp in list(lset.items()):
                    if exp <= now:
                        del lset[lease]
                ok = len(lset) + 1 <= spec.limit
                left = spec.limit - len(lset) - (1 if ok else 0)
                states.append(LimitState(spec, max(0, left), 0.0))
                results.append(None)
                if not ok and retry < _LEASE_RETRY_S:
                    refused, retry = i, _LEASE_RETRY_S
                continue
            res = gcra_take(
                st.tats.get(spec.name, 0.0), now, charge.cost, spec.limit, spec.period_s, spec.burst
            )
            results.append(res)
            states.append(LimitState(spec, res.remaining, res.reset_s))
            if not res.allowed and res.retry_after_s > retry:
                refused, retry = i, res.retry_after_s
        if refused is not None:
            return Outcome(
                "limited", risk, factor, tuple(states), refused=refused, retry_after_s=retry
            )
        costs: list[float] = []
        for charge, taken, state in zip(plan.charges, results, states, strict=True):
            if taken is None:
                st.leases[state.spec.name][plan.lease_id] = now + plan.lease_ttl_s
                costs.append(1.0)
            else:
                st.tats[charge.spec.name] = taken.tat
                costs.append(taken.cost)
        return Outcome("admitted", risk, factor, tuple(states), tuple(costs), backend=self.name)

    async def settle(self, key_id: str, plan: SettlePlan) -> SettleOutcome:
        """Apply corrections, release leases and add risk (atomic on the loop)."""
        now = self._clock()
        st = self._keys.setdefault(key_id, _KeyState())
        for spec, delta in plan.adjustments:
            if delta:
                tat = st.tats.get(spec.name, 0.0)
                st.tats[spec.name] = gcra_adjust(tat, now, delta, spec.limit, spec.period_s)
        for spec in plan.releases:
            st.leases.get(spec.name, {}).pop(plan.lease_id, None)
        risk = decayed(st.risk, now - st.risk_t, plan.half_life_s)
        started: float | None = None
        if plan.risk_points > 0:
            risk += plan.risk_points
            st.risk, st.risk_t = risk, now
            if (
                plan.suspend_at is not None
                and risk >= plan.suspend_at
                and st.suspended_until <= now
            ):
                st.suspended_until = started = now + plan.suspend_for_s
                st.reason = (
                    f"actor risk score {risk:.1f} reached the suspension threshold "
                    f"{plan.suspend_at:g}"
                )
        return SettleOutcome(risk, started)

    async def renew(
        self, key_id: str, specs: tuple[LimitSpec, ...], lease_id: str, ttl_s: float
    ) -> int:
        """Extend a live (unexpired, unreleased) lease."""
        st = self._keys.get(key_id)
        if st is None:
            return 0
        now = self._clock()
        count = 0
        for spec in specs:
            lset = st.leases.get(spec.name, {})
            if lset.get(lease_id, 0.0) > now:
                lset[lease_id] = now + ttl_s
                count += 1
        return count

    async def risk(self, key_id: str, half_life_s: float) -> float:
        """The key's decayed risk score now."""
        st = self._keys.get(key_id)
        if st is None:
            return 0.0
        return decayed(st.risk, self._clock() - st.risk_t, half_life_s)

    async def suspension(self, key_id: str) -> tuple[float, str] | None:
        """The key's suspension, if any is in force."""
        st = self._keys.get(key_id)
        if st is None or st.suspended_until <= self._clock():
            return None
        return st.suspended_until, st.reason

    async def forgive(self, key_id: str) -> bool:
        """Lift the suspension and zero the risk."""
        st = self._keys.get(key_id)
        if st is None:
            return False
        had = st.risk > 0 or st.suspended_until > self._clock()
        st.risk, st.suspended_until, st.reason = 0.0, 0.0, ""
        return had

    async def start(self) -> None:
        """Nothing to connect."""

    async def close(self) -> None:
        """Drop all state."""
        self._keys.clear()

    def health(self) -> dict[str, Any]:
        """Always ready."""
        return {"ok": True, "backend": self.name, "keys": len(self._keys)}

    def _maybe_sweep(self, now: float) -> None:
        self._ops += 1
        if self._ops % _SWEEP_EVERY:
            return
        for key_id in [k for k, s in self._keys.items() if s.idle(now, self._half_life)]:
            del self._keys[key_id]
