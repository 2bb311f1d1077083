"""Accuracy across replicas: four Tollgate processes share one Redis; one key with a
limit of N per window, hammered concurrently through all four, gets N admitted
(within max(1, 1%) of N)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import aiohttp
import pytest
import yaml
from aiohttp.test_utils import TestServer

from tests.middleware.throttle.conftest import free_port

REPO = Path(__file__).resolve().parents[3]
N = 300
REPLICAS = 4
ATTEMPTS = 3 * N


def _config(tmp_path: Path, redis_url: str) -> Path:
    cfg = {
        "identity": {"secret": "replica-secret-0123456789"},
        "throttle": {
            "backend": "redis",
            # Generous deadlines: this test is about the shared algorithm's accuracy, and a
            # timeout would (correctly, fail_open) fall back to local limits.
            "redis": {
                "url": redis_url,
                "url_env": "TOLLGATE_TEST_UNSET",
                "timeout_ms": 10_000,
                "connect_timeout_ms": 10_000,
            },
            # A per-day window: refill during the test (a few seconds) is < 0.02 request.
            "tiers": {"default": {"requests_per_day": N}},
        },
        "logging": {"access_log": False, "level": "warning"},
        # Screening is beside the point here; without it four replicas start in
        # seconds even on a loaded machine (no detector pools to spawn and warm).
        "policy": {"enabled": False},
    }
    path = tmp_path / "tollgate.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


async def _wait_ready(
    http: aiohttp.ClientSession, admin: str, proc: subprocess.Popen[bytes]
) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            pytest.fail(f"tollgate exited with {proc.returncode}")
        try:
            async with http.get(f"{admin}/readyz") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    pytest.fail("tollgate did not become ready")


async def test_four_replicas_share_one_limit(
    tmp_path: Path, redis_url: str, upstream: TestServer
) -> None:
    config = _config(tmp_path, redis_url)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    ports = [(free_port(), free_port()) for _ in range(REPLICAS)]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "middleware.cli",
                "serve",
                "--config",
                str(config),
                "--port",
                str(p),
                "--admin-port",
                str(a),
                "--upstream",
                str(upstream.make_url("")).rstrip("/"),
            ],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for p, a in ports
    ]
    try:
        connector = aiohttp.TCPConnector(limit=64)
        async with aiohttp.ClientSession(connector=connector) as http:
            for proc, (_, admin) in zip(procs, ports, strict=True):
                await _wait_ready(http, f"http://127.0.0.1:{admin}", proc)
            body = {"model": "demo-chat", "messages": [{"role": "user", "content": "hi"}]}
            headers = {"Authorization": "Bearer sk-shared-key"}

            async def one(i: int) -> int:
                port = ports[i % REPLICAS][0]
                url = f"http://127.0.0.1:{port}/v1/chat/completions"
                async with http.post(url, json=body, headers=headers) as resp:
                    await resp.read()
                    return resp.status

            statuses = Counter(await asyncio.gather(*(one(i) for i in range(ATTEMPTS))))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
    assert set(statuses) == {200, 429}
    assert abs(statuses[200] - N) <= max(1, N // 100)
    assert statuses[429] == ATTEMPTS - statuses[200]
