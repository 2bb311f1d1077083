"""A small circuit breaker so requests never queue behind a sick Redis.

``closed``: calls go through; ``failures`` consecutive failures open it.
``open``: calls are refused at once for ``open_s`` seconds. Then
``half_open``: one probe call goes through; its success closes the breaker,
its failure opens it again. Single event loop: no lock needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

__all__ = ["STATE_VALUES", "BreakerState", "CircuitBreaker"]

BreakerState = Literal["closed", "open", "half_open"]

#: Gauge values for ``tollgate_throttle_redis_breaker_state``.
STATE_VALUES: dict[BreakerState, int] = {"closed": 0, "half_open": 1, "open": 2}


class CircuitBreaker:
    """Consecutive-failure breaker; ``on_change(state)`` is called on transitions."""

    def __init__(
        self,
        failures: int,
        open_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[BreakerState], None] | None = None,
    ) -> None:
        self.failures = failures
        self.open_s = open_s
        self._clock = clock
        self._on_change = on_change
        self._state: BreakerState = "closed"
        self._count = 0
        self._opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> BreakerState:
        """The current state (``open`` turns ``half_open`` once ``open_s`` passed)."""
        if self._state == "open" and self._clock() - self._opened_at >= self.open_s:
            self._set("half_open")
        return self._state

    def allow(self) -> bool:
        """Whether a call may go through now (claims the probe when half-open)."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._probing:
            self._probing = True
            return True
        return False

    def success(self) -> None:
        """A call succeeded: close."""
        self._count = 0
        self._probing = False
        if self._state != "closed":
            self._set("closed")

    def failure(self) -> None:
        """A call failed: count it; open at the threshold (or at once when probing)."""
        self._count += 1
        was_probe = self._probing
        self._probing = False
        if was_probe or self._count >= self.failures:
            self._opened_at = self._clock()
            self._set("open")

    def _set(self, state: BreakerState) -> None:
        if state != self._state:
            self._state = state
            if self._on_change is not None:
                self._on_change(state)
