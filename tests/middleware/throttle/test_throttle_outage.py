"""Redis down or slow: fail_open falls back to local limits, fail_closed refuses (503),
the circuit breaker keeps requests from hanging, and readiness says so."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from middleware import metrics
from middleware.errors import ApiError
from middleware.throttle import RedisBackend, ThrottleAddon, parse_throttle_config
from tests.middleware.throttle.conftest import RedisServer, free_port, make_ctx, redis_settings

FAST = {"timeout_ms": 50, "connect_timeout_ms": 50, "breaker_failures": 2, "breaker_open_s": 0.2}


def _addon(
    url: str, tiers: dict[str, Any], settings: dict[str, Any] = FAST, **extra: Any
) -> ThrottleAddon:
    cfg = parse_throttle_config({"backend": "redis", "tiers": tiers, **extra})
    backend = RedisBackend(redis_settings(url, **settings))
    return ThrottleAddon(cfg, backend=backend)


@pytest.fixture
async def black_hole() -> AsyncIterator[str]:
    """A TCP server that accepts connections and never answers: a hung Redis."""
    held: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"redis://127.0.0.1:{port}/0"
    for w in held:
        w.close()
    server.close()
    await server.wait_closed()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    yield server
    os.kill(server.proc.pid, signal.SIGCONT)
    server.stop()


def _fallbacks() -> float:
    return float(metrics.THROTTLE_FALLBACKS.labels("default")._value.get())


async def test_down_fail_open_uses_local_limits() -> None:
    addon = _addon(f"redis://127.0.0.1:{free_port()}/0", {"default": {"requests_per_day": 2}})
    before = _fallbacks()
    for _ in range(2):
        ctx = make_ctx()
        await addon.request(ctx)
        assert ctx.state["throttle"].outcome.backend == "memory"
    with pytest.raises(ApiError) as err:
        await addon.request(make_ctx())
    assert err.value.status == 429
    assert _fallbacks() == before + 3  # all three were decided locally
    await addon.shutdown()


async def test_down_fail_closed_refuses_503() -> None:
    tiers = {"default": {"requests_per_day": {"limit": 5, "on_redis_error": "fail_closed"}}}
    addon = _addon(f"redis://127.0.0.1:{free_port()}/0", tiers)
    with pytest.raises(ApiError) as err:
        await addon.request(make_ctx())
    assert err.value.status == 503
    body = err.value.body()["error"]
    assert body["code"] == "rate_limiter_unavailable"
    assert body["limit"] == "requests_per_day"
    await addon.shutdown()


async def test_one_fail_closed_limit_refuses_the_whole_request() -> None:
    tiers = {
        "default": {
            "requests_per_minute": 100,
            "tokens_per_day": {"limit": 100_000, "on_redis_error": "fail_closed"},
        }
    }
    addon = _addon(f"redis://127.0.0.1:{free_port()}/0", tiers, on_redis_error="fail_open")
    with pytest.raises(ApiError) as err:
        await addon.request(make_ctx())
    assert err.value.status == 503
    await addon.shutdown()


async def test_hung_redis_does_not_hang_requests_and_opens_breaker(black_hole: str) -> None:
    tiers = {"default": {"requests_per_day": {"limit": 50, "on_redis_error": "fail_closed"}}}
    addon = _addon(black_hole, tiers)
    statuses = []
    for _ in range(5):
        with pytest.raises(ApiError) as err:
            await asyncio.wait_for(addon.request(make_ctx()), 10)
        statuses.append(err.value.status)
    assert statuses == [503] * 5
    assert isinstance(addon.backend, RedisBackend)
    assert addon.backend.breaker.state == "open"
    health = addon.health()
    assert health["ok"] is False and health["degraded"] is True
    assert metrics.THROTTLE_REDIS_BREAKER._value.get() == 2
    await addon.shutdown()


async def test_fail_open_stays_ready_while_degraded(black_hole: str) -> None:
    addon = _addon(black_hole, {"default": {"requests_per_day": 50}})
    for _ in range(3):
        await asyncio.wait_for(addon.request(make_ctx()), 10)
    health = addon.health()
    assert health["ok"] is True and health["degraded"] is True
    await addon.shutdown()


async def test_recovers_after_redis_comes_back(own_redis: RedisServer) -> None:
    # Deadlines long enough for a loaded test machine, short enough to stall on SIGSTOP.
    slow_ok = {**FAST, "timeout_ms": 1000, "connect_timeout_ms": 1000}
    addon = _addon(own_redis.url, {"default": {"requests_per_day": 50}}, slow_ok)
    ctx = make_ctx()
    await addon.request(ctx)
    assert ctx.state["throttle"].outcome.backend == "redis"
    os.kill(own_redis.proc.pid, signal.SIGSTOP)
    for _ in range(3):
        stalled = make_ctx()
        await asyncio.wait_for(addon.request(stalled), 10)
        assert stalled.state["throttle"].outcome.backend == "memory"
    assert isinstance(addon.backend, RedisBackend)
    assert addon.backend.breaker.state == "open"
    os.kill(own_redis.proc.pid, signal.SIGCONT)
    backend_used = "memory"
    for _ in range(100):  # breaker_open_s is 0.2 s; then one probe closes it
        await asyncio.sleep(0.05)
        again = make_ctx()
        await addon.request(again)
        backend_used = again.state["throttle"].outcome.backend
        if backend_used == "redis":
            break
    assert backend_used == "redis"
    assert str(addon.backend.breaker.state) == "closed"
    await addon.shutdown()


async def test_fallback_lease_released_locally() -> None:
    tiers = {"default": {"concurrent_requests": 1}}
    addon = _addon(f"redis://127.0.0.1:{free_port()}/0", tiers)
    ctx = make_ctx()
    await addon.request(ctx)
    assert addon.fallback.leases_held(ctx.identity.key_id) == 1  # type: ignore[union-attr]
    ctx.status = 200
    await addon.done(ctx)
    assert addon.fallback.leases_held(ctx.identity.key_id) == 0  # type: ignore[union-attr]
    await addon.shutdown()


async def test_fallback_fraction_scales_local_limits() -> None:
    tiers = {"default": {"requests_per_day": 8}}
    addon = _addon(f"redis://127.0.0.1:{free_port()}/0", tiers, redis={"fallback_fraction": 0.25})
    await addon.request(make_ctx())
    await addon.request(make_ctx())
    with pytest.raises(ApiError):
        await addon.request(make_ctx())
    await addon.shutdown()
