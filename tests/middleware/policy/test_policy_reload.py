"""Hot reload: watcher, SIGHUP-style reload, admin endpoints, invalid edits, in-flight requests."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from prometheus_client import REGISTRY

from middleware._context import ProxyRequest
from middleware.adapters import default_adapters
from middleware.pipeline import Pipeline
from middleware.policy import NoDetectors
from middleware.policy._addon import PolicyAddon
from middleware.policy._settings import PolicySettings

BLOCK_AWS = """
- id: secrets.aws.block
  title: Block AWS keys
  categories: [secrets]
  when: {finding: {kind: secret.aws_access_key}}
  action: block
"""
BLOCK_EMAIL = """
- id: pii.email.block
  title: Block e-mail
  categories: [pii]
  directions: [input, output]
  when: {finding: {kind: pii.EMAIL_ADDRESS}}
  action: block
"""


async def status_of(pipeline: Pipeline, request: ProxyRequest) -> int:
    async with pipeline.exchange(request) as resp:
        return resp.status


def chat(text: str) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": text}]}


async def wait_for(predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Poll ``predicate`` until it holds (bounded; never asserts a duration)."""
    for _ in range(int(timeout_s / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def test_admin_status_and_invalid_edit_keeps_serving_the_old_set(
    write_policy: Callable[..., Path],
    source: Any,
    fake_upstream: Any,
    make_request: Any,
    aiohttp_client: Any,
    policy_text: Callable[..., str],
) -> None:
    root = write_policy(BLOCK_AWS)
    addon = PolicyAddon(PolicySettings(dir=str(root), reload_interval_s=0), source)
    await addon.startup()
    app = web.Application()
    app.add_routes(addon.admin_routes())
    client = await aiohttp_client(app)
    pipeline = Pipeline(adapters=default_adapters(), upstream=fake_upstream, addons=[addon])

    first = await (await client.get("/policy")).json()
    assert first["files"] == ["test.yaml"] and first["last_error"] is None
    assert first["revision"] and first["loaded_at"] and first["versions"] == {"test": "1"}
    assert first["missing_detectors"] == []

    (root / "test.yaml").write_text(policy_text(BLOCK_AWS) + "\n  - id: [broken", "utf-8")
    resp = await client.post("/policy/reload")
    assert resp.status == 422
    after = await (await client.get("/policy")).json()
    assert after["revision"] == first["revision"]
    assert "test.yaml" in after["last_error"] and after["last_result"] == "failure"
    assert REGISTRY.get_sample_value("tollgate_policy_last_reload_success") == 0
    assert await status_of(pipeline, make_request(chat("AKIAABCDEFGHIJKLMNOP"))) == 400

    write_policy(BLOCK_AWS + BLOCK_EMAIL)
    resp = await client.post("/policy/reload")
    assert resp.status == 200 and (await resp.json())["result"] == "success"
    assert REGISTRY.get_sample_value("tollgate_policy_last_reload_success") == 1
    assert await status_of(pipeline, make_request(chat("jo@example.com"))) == 400
    await addon.shutdown()


async def test_watcher_picks_up_an_edit_without_restart(
    write_policy: Callable[..., Path], source: Any, fake_upstream: Any, make_request: Any
) -> None:
    root = write_policy(BLOCK_AWS)
    addon = PolicyAddon(PolicySettings(dir=str(root), reload_interval_s=0.02), source)
    await addon.startup()
    pipeline = Pipeline(adapters=default_adapters(), upstream=fake_upstream, addons=[addon])
    before = addon.store.status().revision
    assert await status_of(pipeline, make_request(chat("jo@example.com"))) == 200

    write_policy(BLOCK_AWS + BLOCK_EMAIL)
    await wait_for(lambda: addon.store.status().revision != before)
    assert await status_of(pipeline, make_request(chat("jo@example.com"))) == 400
    info = REGISTRY.get_sample_value(
        "tollgate_policy_info", {"revision": addon.store.status().revision or ""}
    )
    assert info == 1
    assert REGISTRY.get_sample_value("tollgate_policy_info", {"revision": before or ""}) is None
    await addon.shutdown()


async def test_watcher_follows_a_configmap_symlink_swap(
    tmp_path: Path, source: Any, policy_text: Callable[..., str]
) -> None:
    root = tmp_path / "mounted"
    root.mkdir()

    def publish(version: str, rules: str) -> None:
        data = root / f"..{version}"
        data.mkdir()
        (data / "policy.yaml").write_text(policy_text(rules, "cm", version), "utf-8")
        tmp_link = root / "..data_tmp"
        tmp_link.symlink_to(data.name)
        os.replace(tmp_link, root / "..data")  # the atomic swap Kubernetes does

    publish("v1", BLOCK_AWS)
    (root / "policy.yaml").symlink_to("..data/policy.yaml")
    addon = PolicyAddon(PolicySettings(dir=str(root), reload_interval_s=0.02), source)
    await addon.startup()
    assert dict(addon.store.status().versions) == {"cm": "v1"}
    publish("v2", BLOCK_AWS + BLOCK_EMAIL)
    await wait_for(lambda: dict(addon.store.status().versions) == {"cm": "v2"})
    assert addon.store.status().rules == 2
    await addon.shutdown()


async def test_status_names_detectors_the_policy_needs_but_nobody_provides(
    write_policy: Callable[..., Path],
) -> None:
    addon = PolicyAddon(PolicySettings(dir=str(write_policy(BLOCK_AWS)), reload_interval_s=0),
                        NoDetectors())  # fmt: skip
    await addon.startup()
    assert addon.store.status().missing_detectors == ("secrets",)
    assert addon.health()["ok"] is True
    await addon.shutdown()


async def test_in_flight_request_finishes_on_the_set_it_started_with(
    write_policy: Callable[..., Path], source: Any, fake_upstream: Any, make_request: Any
) -> None:
    root = write_policy(BLOCK_AWS + BLOCK_EMAIL)
    addon = PolicyAddon(PolicySettings(dir=str(root), reload_interval_s=0), source)
    await addon.startup()
    fake_upstream.reply = "contact jo@example.com"
    original_send = fake_upstream.send

    async def send_and_reload(*args: Any) -> Any:
        write_policy(BLOCK_AWS)  # the e-mail rule goes away mid-request
        assert await addon.store.reload() == "success"
        return await original_send(*args)

    fake_upstream.send = send_and_reload
    pipeline = Pipeline(adapters=default_adapters(), upstream=fake_upstream, addons=[addon])
    async with pipeline.exchange(make_request(chat("hello"))) as resp:
        assert resp.status == 400  # the output was screened by the old set
        assert json.loads(resp.body)["error"]["categories"] == ["pii"]
    fake_upstream.send = original_send
    assert await status_of(pipeline, make_request(chat("hello"))) == 200
    await addon.shutdown()


async def test_startup_fails_loudly_without_a_valid_policy(tmp_path: Path, source: Any) -> None:
    (tmp_path / "bad.yaml").write_text("kind: Policy\n", "utf-8")
    addon = PolicyAddon(PolicySettings(dir=str(tmp_path), reload_interval_s=0), source)
    try:
        await addon.startup()
    except RuntimeError as exc:
        assert "bad.yaml" in str(exc)
    else:
        raise AssertionError("startup accepted an invalid policy set")
    assert addon.health()["ok"] is False
