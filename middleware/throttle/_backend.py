"""The backend contract: reserve all limits atomically, settle afterwards.

A backend stores per-key state (GCRA arrival times, lease sets, risk score,
suspension) and implements two atomic steps:

* :meth:`ThrottleBackend.reserve` -- check every limit of a
  :class:`ReservePlan` and take all of them, or none;
* :meth:`ThrottleBackend.settle` -- correct token/unit charges, release the
  request's leases, add risk points (and suspend when the tier says so).

Backends are chosen by name from :data:`BACKENDS` (``memory``, ``redis``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from middleware.throttle._specs import LimitSpec

if TYPE_CHECKING:
    from middleware.throttle._config import ThrottleConfig

__all__ = [
    "BACKENDS",
    "BackendUnavailable",
    "Charge",
    "LimitState",
    "Outcome",
    "ReservePlan",
    "SettleOutcome",
    "SettlePlan",
    "ThrottleBackend",
]


class BackendUnavailable(Exception):
    """The backend could not answer in time (down, slow, breaker open)."""


@dataclass(frozen=True, slots=True)
class Charge:
    """Take ``cost`` units of ``spec`` (concurrency: one lease, cost ignored)."""

    spec: LimitSpec
    cost: float = 1.0


@dataclass(frozen=True, slots=True)
class ReservePlan:
    """Everything one request takes, plus the risk knobs read in the same step.

    When the key's decayed risk is at least ``slow_at``, every limit is
    scaled by ``slow_factor`` before checking.
    """

    charges: tuple[Charge, ...]
    lease_id: str
    lease_ttl_s: float
    half_life_s: float
    slow_at: float | None = None
    slow_factor: float = 1.0


@dataclass(frozen=True, slots=True)
class LimitState:
    """A limit after the step: units left now, seconds until the bucket is full."""

    spec: LimitSpec
    remaining: int
    reset_s: float


@dataclass(frozen=True, slots=True)
class Outcome:
    """What :meth:`ThrottleBackend.reserve` decided.

    ``states`` and ``costs`` align with the plan's charges (``costs`` are the
    units actually taken: token and unit charges are capped at the bucket).
    ``factor`` is the risk slow-down applied (1.0: none). On ``limited``,
    ``refused`` indexes the charge with the longest wait and
    ``retry_after_s`` is when all refusing limits would pass. On
    ``suspended``, ``suspended_until`` is epoch seconds.
    """

    status: Literal["admitted", "limited", "suspended"]
    risk: float
    factor: float
    states: tuple[LimitState, ...] = ()
    costs: tuple[float, ...] = ()
    refused: int | None = None
    retry_after_s: float = 0.0
    suspended_until: float | None = None
    reason: str = ""
    backend: str = "memory"


@dataclass(frozen=True, slots=True)
class SettlePlan:
    """Corrections after the request: ``(effective spec, delta units)`` per rate
    limit (negative refunds), leases to release, risk points to add."""

    adjustments: tuple[tuple[LimitSpec, float], ...]
    releases: tuple[LimitSpec, ...]
    lease_id: str
    half_life_s: float
    risk_points: float = 0.0
    suspend_at: float | None = None
    suspend_for_s: float = 0.0


@dataclass(frozen=True, slots=True)
class SettleOutcome:
    """The key's risk after settling, and a suspension this step started."""

    risk: float
    suspended_until: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class ThrottleBackend(Protocol):
    """Where limit state lives. Both steps are atomic per key."""

    name: str

    async def reserve(self, key_id: str, plan: ReservePlan) -> Outcome:
        """Check and take every charge, or none; raise ``BackendUnavailable``."""
        ...

    async def settle(self, key_id: str, plan: SettlePlan) -> SettleOutcome:
        """Apply corrections, release leases, add risk; raise ``BackendUnavailable``."""
        ...

    async def renew(
        self, key_id: str, specs: tuple[LimitSpec, ...], lease_id: str, ttl_s: float
    ) -> int:
        """Extend a live lease to now + ``ttl_s``; return how many were extended."""
        ...

    async def risk(self, key_id: str, half_life_s: float) -> float:
        """The key's current (decayed) risk score."""
        ...

    async def suspension(self, key_id: str) -> tuple[float, str] | None:
        """``(until epoch s, reason)`` while the key is suspended, else ``None``."""
        ...

    async def forgive(self, key_id: str) -> bool:
        """Lift a suspension and reset the risk score; whether there was anything."""
        ...

    async def start(self) -> None:
        """Connect / warm up."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...

    def health(self) -> dict[str, Any]:
        """Readiness detail."""
        ...


def _memory(config: ThrottleConfig) -> ThrottleBackend:
    from middleware.throttle._memory import MemoryBackend

    return MemoryBackend()


def _redis(config: ThrottleConfig) -> ThrottleBackend:
    from middleware.throttle._redis import RedisBackend

    return RedisBackend(config.redis)


#: The one registry of backends: name -> factory(config).
BACKENDS: dict[str, Callable[[ThrottleConfig], ThrottleBackend]] = {
    "memory": _memory,
    "redis": _redis,
}
