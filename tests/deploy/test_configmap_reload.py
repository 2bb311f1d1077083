"""Policies mounted from a ConfigMap reload live when kubelet swaps ``..data``.

A real Tollgate (proxy and admin over HTTP on 127.0.0.1, the demo upstream behind it)
serves policies from a directory laid out as kubelet lays out a ConfigMap volume; the
policy hot-reload watcher must see each atomic swap and serve the new rules.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from tests.conftest import Running, StartTollgate
from tests.deploy._kubelet import ConfigMapVolume

POLICY = """\
apiVersion: tollgate.dev/v1
kind: Policy
metadata: {{name: {name}, version: "{version}", owner: platform@example.com}}
rules:
  - id: {name}.block-word
    title: Block a code word
    categories: [prompt_injection]
    directions: [input]
    when: {{keywords: {{words: [{word}]}}}}
    action: block
"""


def policy(word: str, version: str = "1", name: str = "configmap") -> str:
    """A policy blocking prompts that contain ``word``."""
    return POLICY.format(name=name, version=version, word=word)


async def status_for(running: Running, text: str) -> int:
    """The status Tollgate answers for a chat request carrying ``text``."""
    body = {"model": "demo-chat", "messages": [{"role": "user", "content": text}]}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{running.url}/v1/chat/completions", json=body) as resp,
    ):
        await resp.read()
        return resp.status


async def eventually(check: Callable[[], Awaitable[bool]], attempts: int = 400) -> None:
    """Poll ``check`` (bounded count; no duration is asserted)."""
    for _ in range(attempts):
        if await check():
            return
        await asyncio.sleep(0.025)
    raise AssertionError("the swapped policy was never served")


async def start_on(volume: ConfigMapVolume, start: StartTollgate, upstream: TestServer) -> Running:
    """Tollgate whose policy addon watches ``volume`` (imported here: one failing import
    must fail these tests, not the collection of the whole suite)."""
    from middleware.policy import NoDetectors
    from middleware.policy._addon import PolicyAddon
    from middleware.policy._settings import PolicySettings

    settings = PolicySettings(dir=str(volume.root), reload_interval_s=0.05)
    addon = PolicyAddon(settings, NoDetectors())
    return await start(str(upstream.make_url("")).rstrip("/"), addons=[addon])


async def admin_status(running: Running) -> dict[str, object]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{running.admin_url}/policy") as resp,
    ):
        status: dict[str, object] = await resp.json()
        return status


async def test_data_swap_serves_the_new_policy(
    tmp_path: Path, start_tollgate: StartTollgate, upstream: TestServer
) -> None:
    volume = ConfigMapVolume(tmp_path / "policies")
    first = volume.write({"policy.yaml": policy("alpha")})
    running = await start_on(volume, start_tollgate, upstream)
    assert await status_for(running, "say alpha") == 400
    assert await status_for(running, "say bravo") == 200

    volume.write({"policy.yaml": policy("bravo", version="2")})

    async def bravo_blocked() -> bool:
        return await status_for(running, "say bravo") == 400

    await eventually(bravo_blocked)
    assert await status_for(running, "say alpha") == 200
    assert not first.exists()  # kubelet removed the old payload; nothing still reads it
    assert (await admin_status(running))["versions"] == {"configmap": "2"}


async def test_keys_added_and_removed_by_a_swap_are_followed(
    tmp_path: Path, start_tollgate: StartTollgate, upstream: TestServer
) -> None:
    volume = ConfigMapVolume(tmp_path / "policies")
    volume.write({"a.yaml": policy("alpha", name="a")})
    running = await start_on(volume, start_tollgate, upstream)

    volume.write({"b.yaml": policy("bravo", name="b")})

    async def swapped() -> bool:
        return await status_for(running, "say bravo") == 400

    await eventually(swapped)
    assert await status_for(running, "say alpha") == 200
    assert (await admin_status(running))["files"] == ["b.yaml"]


async def test_an_invalid_swap_keeps_serving_the_last_good_set(
    tmp_path: Path, start_tollgate: StartTollgate, upstream: TestServer
) -> None:
    volume = ConfigMapVolume(tmp_path / "policies")
    volume.write({"policy.yaml": policy("alpha")})
    running = await start_on(volume, start_tollgate, upstream)

    volume.write({"policy.yaml": policy("bravo") + "  - id: [broken\n"})

    async def failure_recorded() -> bool:
        return (await admin_status(running))["last_result"] == "failure"

    await eventually(failure_recorded)
    assert await status_for(running, "say alpha") == 400
    assert await status_for(running, "say bravo") == 200

    volume.write({"policy.yaml": policy("bravo", version="3")})

    async def fixed() -> bool:
        return await status_for(running, "say bravo") == 400

    await eventually(fixed)
