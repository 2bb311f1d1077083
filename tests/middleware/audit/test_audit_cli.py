"""``tollgate serve`` with a file sink: SIGTERM flushes every event; ``audit summary``."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from middleware.audit import summarize_files, verify_files
from middleware.cli import main
from tests.conftest import chat_body
from tests.middleware.audit.conftest import KEY, read_events, write_chain


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_sigterm_loses_no_audit_event(tmp_path: Path) -> None:
    log = tmp_path / "audit" / "audit.jsonl"
    config = tmp_path / "tollgate.yaml"
    # A small queue_size is not needed: what matters is that queued events are flushed.
    config.write_text(f"audit:\n  sinks:\n    - type: file\n      path: {log}\n")
    port, admin, demo = _free_port(), _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOLLGATE_")}
    env["TOLLGATE_AUDIT_KEY"] = KEY.decode()
    argv = [sys.executable, "-m", "middleware.cli", "serve", "--config", str(config)]
    argv += ["--port", str(port), "--admin-port", str(admin), "--demo-upstream"]
    argv += ["--demo-upstream-port", str(demo)]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(200):
                try:
                    async with http.get(f"http://127.0.0.1:{admin}/readyz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
            else:
                pytest.fail("tollgate serve did not become ready")

            async def one(i: int) -> None:
                async with http.post(url, json=chat_body(f"hello {i}")) as resp:
                    assert resp.status == 200

            await asyncio.gather(*(one(i) for i in range(40)))
            slow = chat_body(stream=True, mock={"reply": "z" * 20, "token_delay_ms": 30})
            async with http.post(url, json=slow) as resp:
                await resp.content.readany()
                proc.send_signal(signal.SIGTERM)  # while a stream is still in flight
                await resp.read()
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    events = read_events(log)
    assert len(events) == 41
    assert [e["seq"] for e in events] == list(range(1, 42))
    assert verify_files([log], KEY).ok


def test_summary_reports_decisions_rules_tenants_and_latency(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    log.write_text(
        "\n".join(
            [
                '{"event":"request","decision":"block","tenant":"acme",'
                '"rules":[{"id":"cyber.block","action":"block","mode":"enforce"}],'
                '"latency_ms":{"total":10.0}}',
                '{"event":"request","decision":"block","tenant":"acme","rules":[],'
                '"latency_ms":{"total":30.0}}',
                '{"event":"request","decision":"allow","tenant":"beta","rules":[],'
                '"latency_ms":{"total":20.0}}',
                '{"event":"policy_reload","result":"failure"}',
                "not json",
            ]
        )
        + "\n"
    )
    summary = summarize_files([log])
    assert summary.requests == 3
    assert summary.decisions == {"block": 2, "allow": 1}
    assert summary.rules == {("cyber.block", "block", "enforce"): 1}
    assert summary.tenant_blocks.most_common(1) == [("acme", 2)]
    assert summary.skipped_lines == 1
    text = summary.render()
    assert "cyber.block" in text
    assert "policy reloads: failure 1" in text
    assert "total" in text and "20.00" in text


def test_cli_summary_prints_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "audit.jsonl"
    write_chain(log, 3)
    assert main(["audit", "summary", str(log)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("requests: 3")
    assert "allow" in out
