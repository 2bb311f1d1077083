"""Event-loop lag: how late the loop runs a timer, sampled in the background.

Everything Tollgate does for a request -- parsing, screening each streamed
window, proxying -- runs on one event loop. When that work outgrows a core,
every request waits its turn: streamed tokens arrive late and time to first
token grows, with no error anywhere. Lag is the early signal: a timer due in
``interval_s`` that fires ``x`` seconds late means work queued for ``x``
seconds. :func:`watch_loop_lag` measures it for the
``tollgate_event_loop_lag_seconds`` histogram (a Grafana panel and an alert
read it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

__all__ = ["watch_loop_lag"]


async def watch_loop_lag(
    observe: Callable[[float], None],
    *,
    interval_s: float = 0.25,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Observe, every ``interval_s``, how late a timer of that length fired; runs until cancelled.

    ``clock`` defaults to the running loop's clock; ``clock`` and ``sleep``
    are replaceable for tests.
    """
    now = clock or asyncio.get_running_loop().time
    while True:
        start = now()
        await sleep(interval_s)
        observe(max(0.0, now() - start - interval_s))
