"""The whole loop on a real Tollgate over HTTP: edit a rule, lint it, test it, diff it
on a corpus, and watch the running proxy pick it up -- and keep serving on a bad edit."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from middleware.policy import NoDetectors, PolicyAddon, PolicyEngine, RequestFacts, load_policy_set
from middleware.policy._diff import diff_corpus
from middleware.policy._lint import lint_policy_dir
from middleware.policy._settings import PolicySettings
from middleware.policy._testing import run_policy_tests

REPO = Path(__file__).resolve().parents[3]

V1 = """
- id: secrets.openai-key.block
  title: Block OpenAI-style keys in prompts
  categories: [secrets]
  when: {regex: {patterns: 'sk-[A-Za-z0-9]{20,}', label: OPENAI_KEY}}
  action: block
"""
V2_EXTRA = """
- id: pii.email.redact-output
  title: Redact e-mail addresses in answers
  categories: [pii]
  directions: [output]
  when: {regex: {patterns: '[\\w.+-]+@[\\w-]+\\.[\\w.]+', label: EMAIL_ADDRESS}}
  action: redact
"""
TESTS = """\
apiVersion: tollgate.dev/v1
kind: PolicyTests
metadata: {name: edited}
tests:
  - name: e-mail in an answer is redacted
    response: {choices: [{index: 0, message: {role: assistant, content: "mail jo@example.com"}}]}
    expect: {decision: redact, rules: [pii.email.redact-output],
             absent_rules: [secrets.openai-key.block]}
  - name: answer without an address is untouched
    response: {choices: [{index: 0, message: {role: assistant, content: "see you"}}]}
    expect: {decision: allow, absent_rules: [pii.email.redact-output]}
  - name: key in a prompt is blocked
    text: "my key is sk-abcdefghijklmnopqrstuvwx"
    expect: {decision: block, rules: [secrets.openai-key.block]}
"""


async def chat(http: aiohttp.ClientSession, url: str, reply: str) -> tuple[int, Any]:
    body = {"model": "demo-chat", "messages": [{"role": "user", "content": "hi"}],
            "mock": {"reply": reply}}  # fmt: skip
    async with http.post(f"{url}/v1/chat/completions", json=body) as resp:
        return resp.status, await resp.json()


async def until(check: Callable[[], Any], timeout_s: float = 10.0) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


async def test_edit_lint_test_diff_and_hot_reload(
    tmp_path: Path,
    upstream: TestServer,
    start_tollgate: Any,
    http: aiohttp.ClientSession,
    policy_text: Callable[..., str],
) -> None:
    live = tmp_path / "policies"
    live.mkdir()
    (live / "team.yaml").write_text(policy_text(V1, "team", "1"), "utf-8")
    addon = PolicyAddon(PolicySettings(dir=str(live), reload_interval_s=0.05), NoDetectors())
    running = await start_tollgate(str(upstream.make_url("")).rstrip("/"), addons=[addon])
    status, body = await chat(http, running.url, "write to jo@example.com")
    assert status == 200 and "jo@example.com" in body["choices"][0]["message"]["content"]

    # 1. edit a working copy: add a rule and its tests
    work = tmp_path / "work"
    shutil.copytree(live, work)
    (work / "team.yaml").write_text(policy_text(V1 + V2_EXTRA, "team", "2"), "utf-8")
    (work / "tests").mkdir()
    (work / "tests" / "team.tests.yaml").write_text(TESTS, "utf-8")
    # 2. lint and 3. test it
    assert lint_policy_dir(work) == []
    assert run_policy_tests(work, NoDetectors()).ok
    # 4. its effect on a corpus
    corpus = [json.dumps({"text": t}) for t in ("mail jo@example.com", "hello")]
    old = PolicyEngine.compile(load_policy_set(live), NoDetectors())
    new = PolicyEngine.compile(load_policy_set(work), NoDetectors())
    report = diff_corpus(old, new, corpus, "output", RequestFacts())
    assert report.transitions == {"allow -> redact": 1} and report.counts["unchanged"] == 1

    # 5. ship it: the running proxy picks it up without a restart
    shutil.copy(work / "team.yaml", live / "team.yaml")

    async def redacted() -> bool:
        _, got = await chat(http, running.url, "write to jo@example.com")
        return bool(got["choices"][0]["message"]["content"] == "write to <EMAIL_ADDRESS>")

    await until(redacted)

    # 6. a broken edit keeps the last good set serving, and says why
    (live / "team.yaml").write_text("apiVersion: tollgate.dev/v1\nkind: Policy\nrules: [", "utf-8")

    async def failed() -> bool:
        async with http.get(f"{running.admin_url}/policy") as resp:
            return bool((await resp.json())["last_result"] == "failure")

    await until(failed)
    async with http.get(f"{running.admin_url}/policy") as resp:
        status_body = await resp.json()
    assert status_body["versions"] == {"team": "2"} and "team.yaml" in status_body["last_error"]
    assert await redacted()
    status, body = await chat(http, running.url, "ok")
    assert status == 200


def test_cli_lints_and_tests_the_baseline_pack_in_a_subprocess() -> None:
    lint = subprocess.run(
        [sys.executable, "-m", "middleware.cli", "policy", "lint", "policies/"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert lint.stdout.strip().splitlines()[-1].startswith("0 errors")
    test = subprocess.run(
        [sys.executable, "-m", "middleware.cli", "policy", "test", "policies/", "-k", "tier",
         "--no-detectors"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert test.returncode == 0, test.stdout + test.stderr
    assert "passed" in test.stdout.splitlines()[-1]
