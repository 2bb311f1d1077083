"""Fixtures: a real redis-server per session, backends, and request contexts.

redis-server must be installed (``apt-get install redis-server``; .ci/run does
it): these tests fail, not skip, without it.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from multidict import CIMultiDict, CIMultiDictProxy

from middleware._context import Identity, ProxyRequest, RequestContext
from middleware.adapters import ApiAdapter, OpenAIChatAdapter
from middleware.throttle import (
    MemoryBackend,
    RedisBackend,
    RedisSettings,
    ThrottleAddon,
    ThrottleBackend,
    parse_throttle_config,
)

KEY_ID = "k_" + "ab" * 12


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A redis-server child process on a free loopback port."""

    def __init__(self, workdir: Path, extra: tuple[str, ...] = (), port: int | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server)")
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
                *extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def free_cluster_port() -> int:
    """A free port whose cluster-bus twin (port + 10000) is free too."""
    for _ in range(100):
        port = free_port()
        if port + 10000 > 65535:
            port -= 20000
        try:
            for p in (port, port + 10000):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", p))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair for a cluster node")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    redis_server.client.flushall()
    return redis_server.url


def redis_settings(url: str, **kw: Any) -> RedisSettings:
    kw.setdefault("connect_timeout_ms", 10_000)
    return RedisSettings(url=url, url_env="TOLLGATE_TEST_UNSET_REDIS_URL", **kw)


@pytest.fixture(params=["memory", "redis"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[ThrottleBackend]:
    if request.param == "memory":
        yield MemoryBackend()
        return
    url = request.getfixturevalue("redis_url")
    be = RedisBackend(redis_settings(url, timeout_ms=10_000))
    yield be
    await be.close()


def make_addon(raw: dict[str, Any], backend: ThrottleBackend | None = None) -> ThrottleAddon:
    return ThrottleAddon(parse_throttle_config(raw), backend=backend)


def make_ctx(
    body: dict[str, Any] | None = None,
    *,
    tier: str = "default",
    tenant: str = "acme",
    key_id: str = KEY_ID,
    adapter: ApiAdapter | None = None,
) -> RequestContext:
    adapter = adapter or OpenAIChatAdapter()
    body = body if body is not None else chat_body()
    req = ProxyRequest(
        "POST", adapter.path, "", CIMultiDictProxy(CIMultiDict()), json.dumps(body).encode()
    )
    ctx = RequestContext(request=req, request_id="req", route=adapter.name, adapter=adapter)
    ctx.body = body
    ctx.parsed = adapter.parse_request(body)
    ctx.identity = Identity(key_id, tenant, tier, True)
    return ctx


def chat_body(text: str = "Hello there", **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o", "messages": [{"role": "user", "content": text}], **extra}


@pytest.fixture(name="make_ctx")
def _make_ctx_fixture() -> Any:
    """Factory for request contexts (chat route, identity already set)."""
    return make_ctx


@pytest.fixture(name="make_addon")
def _make_addon_fixture() -> Any:
    """Factory for throttle addons from a raw config mapping."""
    return make_addon


@pytest.fixture(name="chat_body")
def _chat_body_fixture() -> Any:
    """Factory for chat request bodies."""
    return chat_body
