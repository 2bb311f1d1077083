"""The rate arithmetic, shared by the memory backend and mirrored in Lua.

GCRA (the generic cell rate algorithm) is a token bucket stored as one
number, the theoretical arrival time ``tat``: the bucket is full when
``tat <= now``; each unit pushes ``tat`` by the emission interval ``e =
period / limit``; a charge is allowed while the new ``tat`` stays within
``burst * e`` of now. That gives an exact ``Retry-After`` (when ``tat`` will
have drained enough) and no double burst at window edges. Keep this module
and ``scripts/reserve.lua``/``settle.lua`` in step: the same tests run
against both backends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["EPSILON", "GcraResult", "decayed", "gcra_adjust", "gcra_take"]

#: Tolerance for float rounding (seconds): a charge due within 1 us passes.
EPSILON = 1e-6


@dataclass(frozen=True, slots=True)
class GcraResult:
    """One bucket check: allowed, new tat, units left, reset and retry (seconds)."""

    allowed: bool
    tat: float
    remaining: int
    reset_s: float
    retry_after_s: float
    cost: float


def gcra_take(
    tat: float, now: float, cost: float, limit: int, period_s: float, burst: int
) -> GcraResult:
    """Try to take ``cost`` units (capped at ``burst``) from a bucket at ``tat``."""
    e = period_s / limit
    tolerance = burst * e
    cost = min(cost, float(burst))
    base = max(tat, now)
    new_tat = base + cost * e
    allow_at = new_tat - tolerance
    if cost > 0 and allow_at - now > EPSILON:
        remaining = max(0, math.floor((tolerance - (base - now)) / e + EPSILON))
        return GcraResult(False, base, remaining, base - now, allow_at - now, cost)
    remaining = max(0, math.floor((tolerance - (new_tat - now)) / e + EPSILON))
    return GcraResult(True, new_tat, remaining, new_tat - now, 0.0, cost)


def gcra_adjust(tat: float, now: float, delta: float, limit: int, period_s: float) -> float:
    """Move a bucket by ``delta`` units (negative refunds; never below full)."""
    e = period_s / limit
    return max(max(tat, now) + delta * e, now)


def decayed(score: float, since_s: float, half_life_s: float) -> float:
    """A risk score ``since_s`` seconds later: halves every ``half_life_s``."""
    if score <= 0:
        return 0.0
    return float(score * 0.5 ** (max(0.0, since_s) / half_life_s))
