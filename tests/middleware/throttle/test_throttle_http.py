"""Throttling through a real Tollgate over HTTP (demo upstream, real Redis)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from middleware.app import STATE
from middleware.identity import key_id_for
from middleware.throttle import MemoryBackend, RedisBackend, SettlePlan, ThrottleAddon
from tests.conftest import Running, StartTollgate

SECRET = "test-secret-0123456789abcdef"
KEY = "sk-client-key-0001"
AUTH = {"Authorization": f"Bearer {KEY}"}
KEY_ID = key_id_for(KEY, SECRET.encode())


def _body(**extra: Any) -> dict[str, Any]:
    return {"model": "demo-chat", "messages": [{"role": "user", "content": "hi"}], **extra}


async def _start(
    start_tollgate: StartTollgate, upstream: TestServer, throttle: dict[str, Any]
) -> Running:
    overrides = {
        ("identity",): {"secret": SECRET, "require_key": True},
        ("throttle",): throttle,
    }
    return await start_tollgate(str(upstream.make_url("")).rstrip("/"), overrides=overrides)


def _addon(running: Running) -> ThrottleAddon:
    return next(a for a in running.app[STATE].addons if isinstance(a, ThrottleAddon))


@pytest.fixture(params=["memory", "redis"])
def backend_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.param == "memory":
        return {"backend": "memory"}
    url = request.getfixturevalue("redis_url")
    return {
        "backend": "redis",
        "redis": {
            "url": url,
            "url_env": "TOLLGATE_TEST_UNSET",
            "timeout_ms": 10_000,
            "connect_timeout_ms": 10_000,
        },
    }


async def test_headers_and_429_over_http(
    start_tollgate: StartTollgate,
    upstream: TestServer,
    http: aiohttp.ClientSession,
    backend_config: dict[str, Any],
) -> None:
    tiers = {"default": {"requests_per_minute": 2, "tokens_per_minute": 100_000}}
    running = await _start(start_tollgate, upstream, {**backend_config, "tiers": tiers})
    url = f"{running.url}/v1/chat/completions"
    for left in ("1", "0"):
        async with http.post(url, json=_body(), headers=AUTH) as resp:
            assert resp.status == 200
            assert resp.headers["x-ratelimit-remaining-requests"] == left
            assert "x-ratelimit-remaining-tokens" in resp.headers
            assert "RateLimit-Policy" in resp.headers
    async with http.post(url, json=_body(), headers=AUTH) as resp:
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "30"
        assert resp.headers["x-ratelimit-remaining-requests"] == "0"
        err = (await resp.json())["error"]
        assert err["code"] == "rate_limit_exceeded"
        assert err["limit"] == "requests_per_minute"


async def test_stream_gets_headers_before_first_byte(
    start_tollgate: StartTollgate, upstream: TestServer, http: aiohttp.ClientSession
) -> None:
    tiers = {"default": {"requests_per_minute": 5, "concurrent_streams": 2}}
    running = await _start(start_tollgate, upstream, {"tiers": tiers})
    body = _body(stream=True, mock={"chunk_chars": 2, "token_delay_ms": 50})
    async with http.post(f"{running.url}/v1/chat/completions", json=body, headers=AUTH) as resp:
        assert resp.status == 200
        assert resp.headers["x-ratelimit-remaining-requests"] == "4"
        await resp.content.readany()


async def test_settles_to_upstream_usage(
    start_tollgate: StartTollgate, upstream: TestServer, http: aiohttp.ClientSession
) -> None:
    tiers = {"default": {"tokens_per_day": 10_000, "default_max_tokens": 5000}}
    running = await _start(start_tollgate, upstream, {"tiers": tiers})
    url = f"{running.url}/v1/chat/completions"
    async with http.post(url, json=_body(), headers=AUTH) as resp:
        assert resp.status == 200
        used = (await resp.json())["usage"]["total_tokens"]
        reserved_left = int(resp.headers["x-ratelimit-remaining-tokens"])
    assert reserved_left < 10_000 - 5000
    async with http.post(url, json=_body(max_tokens=1), headers=AUTH) as resp:
        left = int(resp.headers["x-ratelimit-remaining-tokens"])
    # The first request was settled from ~5000 reserved down to its real usage.
    assert 10_000 - used - 20 <= left <= 10_000 - used


async def _abort_stream(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> None:
    resp = await http.post(url, json=body, headers=AUTH)
    assert resp.status == 200
    await resp.content.readany()
    resp.close()  # drop the connection mid-stream, like a client that went away


async def _leases(addon: ThrottleAddon) -> int:
    backend = addon.backend
    if isinstance(backend, MemoryBackend):
        return backend.leases_held(KEY_ID)
    assert isinstance(backend, RedisBackend)
    return int(await backend.client.zcard(f"{{tg:{KEY_ID}}}:l:concurrent_streams")) + int(
        await backend.client.zcard(f"{{tg:{KEY_ID}}}:l:concurrent_requests")
    )


async def test_no_lease_leak_after_1000_aborted_streams(
    start_tollgate: StartTollgate,
    upstream: TestServer,
    backend_config: dict[str, Any],
) -> None:
    tiers = {"default": {"concurrent_streams": 25, "concurrent_requests": 25}}
    running = await _start(start_tollgate, upstream, {**backend_config, "tiers": tiers})
    addon = _addon(running)
    url = f"{running.url}/v1/chat/completions"
    body = _body(stream=True, mock={"chunk_chars": 1, "token_delay_ms": 20})
    connector = aiohttp.TCPConnector(limit=20, force_close=True)
    async with aiohttp.ClientSession(connector=connector) as http:
        sem = asyncio.Semaphore(20)

        async def one() -> None:
            async with sem:
                await _abort_stream(http, url, body)

        await asyncio.gather(*(one() for _ in range(1000)))
    for _ in range(200):  # the server notices each disconnect asynchronously
        if await _leases(addon) == 0:
            break
        await asyncio.sleep(0.05)
    assert await _leases(addon) == 0
    # And the full concurrency is available again.
    async with aiohttp.ClientSession() as http:
        streams = [await http.post(url, json=body, headers=AUTH) for _ in range(25)]
        assert [r.status for r in streams] == [200] * 25
        for r in streams:
            r.close()


async def test_upstream_error_releases_and_refunds(
    start_tollgate: StartTollgate, upstream: TestServer, http: aiohttp.ClientSession
) -> None:
    tiers = {"default": {"tokens_per_day": 3000, "concurrent_requests": 1}}
    running = await _start(start_tollgate, upstream, {"tiers": tiers})
    url = f"{running.url}/v1/chat/completions"
    failing = _body(max_tokens=2900, mock={"status": 500, "error": "boom"})
    for _ in range(3):
        async with http.post(url, json=failing, headers=AUTH) as resp:
            assert resp.status == 500
    async with http.post(url, json=_body(max_tokens=2900), headers=AUTH) as resp:
        assert resp.status == 200
    assert await _leases(_addon(running)) == 0


async def test_readyz_reports_throttle(
    start_tollgate: StartTollgate, upstream: TestServer, http: aiohttp.ClientSession
) -> None:
    running = await _start(start_tollgate, upstream, {"tiers": {"default": {}}})
    async with http.get(f"{running.admin_url}/readyz") as resp:
        assert resp.status == 200
        text = await resp.text()
    assert "throttle" in text


async def test_admin_shows_and_forgives_a_suspended_key(
    start_tollgate: StartTollgate,
    upstream: TestServer,
    http: aiohttp.ClientSession,
    backend_config: dict[str, Any],
) -> None:
    tiers = {"default": {"risk": {"suspend_at": 5, "suspend_for_s": 600}}}
    running = await _start(start_tollgate, upstream, {**backend_config, "tiers": tiers})
    addon = _addon(running)
    await addon.backend.settle(
        KEY_ID, SettlePlan((), (), "", 3600.0, 6.0, suspend_at=5.0, suspend_for_s=600.0)
    )
    url = f"{running.url}/v1/chat/completions"
    async with http.post(url, json=_body(), headers=AUTH) as resp:
        assert resp.status == 403
        err = (await resp.json())["error"]
        assert err["code"] == "actor_suspended" and err["suspended_until"]
    admin = f"{running.admin_url}/throttle/keys/{KEY_ID}"
    async with http.get(admin) as resp:
        state = await resp.json()
    assert state["risk"] == pytest.approx(6.0, rel=0.01)
    assert state["suspended_until"] == err["suspended_until"]
    async with http.delete(f"{admin}/risk") as resp:
        assert (await resp.json())["forgiven"] is True
    async with http.post(url, json=_body(), headers=AUTH) as resp:
        assert resp.status == 200
    async with http.get(f"{running.admin_url}/throttle/keys/sk-raw-key") as resp:
        assert resp.status == 400
