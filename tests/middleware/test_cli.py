"""The ``tollgate`` command as a user runs it: real processes, real signals."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from middleware.cli import main
from tests.conftest import chat_body


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_config_check_accepts_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check", "deploy/tollgate.yaml"]) == 0
    assert "ok" in capsys.readouterr().out


def test_config_check_names_the_bad_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("server:\n  admin_port: 70000\n")
    assert main(["config", "check", str(path)]) == 1
    assert "server.admin_port" in capsys.readouterr().err


@pytest.fixture
async def served() -> AsyncIterator[tuple[subprocess.Popen[bytes], str, str]]:
    port, admin, demo = _free_port(), _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOLLGATE_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "middleware.cli",
            "serve",
            "--demo-upstream",
            "--port",
            str(port),
            "--admin-port",
            str(admin),
            "--demo-upstream-port",
            str(demo),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url, admin_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{admin}"
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            try:
                async with http.get(f"{admin_url}/readyz") as resp:
                    if resp.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
        else:
            proc.kill()
            pytest.fail("tollgate serve did not become ready")
    try:
        yield proc, url, admin_url
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stderr:
            proc.stderr.close()


async def test_sigterm_lets_in_flight_stream_finish(
    served: tuple[subprocess.Popen[bytes], str, str],
) -> None:
    proc, url, _ = served
    body = chat_body(stream=True, mock={"reply": "z" * 60, "chunk_chars": 2, "token_delay_ms": 40})
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/v1/chat/completions", json=body) as resp,
    ):
        first = await resp.content.readany()
        proc.send_signal(signal.SIGTERM)
        rest = await resp.read()
    assert first.startswith(b"data: ")
    assert rest.rstrip().endswith(b"data: [DONE]")
    assert proc.wait(timeout=10) == 0


async def test_sigterm_stops_accepting_new_connections(
    served: tuple[subprocess.Popen[bytes], str, str],
) -> None:
    proc, url, _ = served
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.post(f"{url}/v1/chat/completions", json=chat_body())


async def test_json_logs_one_line_per_request_without_content(
    served: tuple[subprocess.Popen[bytes], str, str],
) -> None:
    proc, url, _ = served
    secret_text = "my very private prompt 12345"
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{url}/v1/chat/completions",
            json=chat_body(secret_text),
            headers={"Authorization": "Bearer sk-live-supersecret"},
        ) as resp,
    ):
        assert resp.status == 200
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)
    assert proc.stderr is not None
    logs = proc.stderr.read().decode()
    request_lines = [line for line in logs.splitlines() if '"event": "request"' in line]
    assert len(request_lines) == 1
    assert secret_text not in logs
    assert "supersecret" not in logs
