"""The event-loop lag watcher: how late a timer fired, as a metric."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestServer

from middleware.looplag import watch_loop_lag
from tests.conftest import StartTollgate


async def test_each_sample_is_how_late_the_timer_fired() -> None:
    now = [100.0]
    late = iter([0.0, 0.3, 0.05])
    seen: list[float] = []

    async def sleep(seconds: float) -> None:
        now[0] += seconds + next(late)

    def observe(lag: float) -> None:
        seen.append(lag)
        if len(seen) == 3:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await watch_loop_lag(observe, interval_s=0.25, clock=lambda: now[0], sleep=sleep)
    assert seen == pytest.approx([0.0, 0.3, 0.05])


async def test_a_timer_that_fires_early_counts_as_on_time() -> None:
    now = [0.0]
    seen: list[float] = []

    async def sleep(seconds: float) -> None:
        now[0] += seconds - 0.01  # a coarse clock can read a little early

    def observe(lag: float) -> None:
        seen.append(lag)
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await watch_loop_lag(observe, interval_s=0.25, clock=lambda: now[0], sleep=sleep)
    assert seen == [0.0]


async def test_a_running_tollgate_exports_the_lag_histogram(
    upstream: TestServer, start_tollgate: StartTollgate
) -> None:
    from middleware import metrics

    def count() -> float:
        return sum(
            s.value
            for m in metrics.EVENT_LOOP_LAG.collect()
            for s in m.samples
            if s.name.endswith("_count")
        )

    before = count()
    await start_tollgate(str(upstream.make_url("")).rstrip("/"))
    for _ in range(100):  # the watcher samples every 0.25 s
        if count() > before:
            break
        await asyncio.sleep(0.05)
    assert count() > before
