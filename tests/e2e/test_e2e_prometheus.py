"""End to end: a real Tollgate, real traffic, a real Prometheus, every dashboard and alert query.

Tollgate runs as ``tollgate serve --demo-upstream`` (a subprocess, as in
production); Prometheus (Debian's package) scrapes its admin ``/metrics``
every second with the committed rule file loaded. After mixed traffic
(allowed, streamed, reasoning, upstream errors, a cut stream), every
expression of every dashboard panel, every recording rule and every alert
(in ``bool`` form, see ``as_bool``) is evaluated through the HTTP API: each
must be valid and return data.

The one exception is :data:`PENDING`: metrics whose producer is not on this
branch yet. An expression over them may return nothing, and the test
fails as soon as one of them appears on ``/metrics`` -- remove it here
and drive traffic that produces it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import chat_body
from tests.e2e._deploy import PROMETHEUS, RULES, as_bool, dashboard_queries, metric_names, rules

#: Metric -> the part that will produce it (not on this branch yet).
PENDING: dict[str, str] = {
    **{
        f"tollgate_policy_{name}": "policy addon"
        for name in (
            "info",
            "last_reload_success",
            "rules",
            "rule_matches_total",
            "decisions_total",
            "evaluation_seconds_bucket",
            "reloads_total",
        )
    },
    "tollgate_findings_total": "policy decision records",
    **{
        f"tollgate_throttle_{name}": "throttle addon"
        for name in (
            "admissions_total",
            "refusals_total",
            "tokens_total",
            "reasoning_budget_total",
            "risk_suspensions_total",
            "fallbacks_total",
            "redis_seconds_bucket",
            "redis_errors_total",
            "redis_breaker_state",
        )
    },
    **{
        f"tollgate_detector_{name}": "detector runner observer (metrics.observe_detector)"
        for name in ("runs_total", "cache_hits_total", "errors_total", "duration_seconds_bucket")
    },
    "tollgate_stream_held_back_characters_bucket": "stream screener",
}

SUBSTITUTIONS = {"$__rate_interval": "1m", "$instance": ".*", "$job": "tollgate"}
KEY = "e2e-audit-key"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Stack:
    """The running processes' URLs."""

    url: str
    admin_url: str
    prometheus_url: str


async def _wait_http(http: aiohttp.ClientSession, url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            pytest.fail(f"{url}: the process exited with {proc.returncode}")
        try:
            async with http.get(url) as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    pytest.fail(f"{url} never became ready")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    prometheus = shutil.which("prometheus")
    assert prometheus, "prometheus is not installed (Debian package; .ci/run installs it)"
    port, admin, demo, prom_port = (_free_port() for _ in range(4))
    config = tmp_path / "tollgate.yaml"
    audit_log = tmp_path / "audit.jsonl"
    config.write_text(
        yaml.safe_dump({"audit": {"sinks": [{"type": "file", "path": str(audit_log)}]}})
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOLLGATE_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env["TOLLGATE_AUDIT_KEY"] = KEY
    argv = [sys.executable, "-m", "middleware.cli", "serve", "--config", str(config)]
    argv += ["--port", str(port), "--admin-port", str(admin), "--demo-upstream"]
    argv += ["--demo-upstream-port", str(demo)]
    # The committed scrape config, pointed at this Tollgate and sped up.
    prom_config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    prom_config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    prom_config["rule_files"] = [str(RULES)]
    prom_config["scrape_configs"][0]["static_configs"] = [{"targets": [f"127.0.0.1:{admin}"]}]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(prom_config))
    prom_argv = [
        prometheus,
        f"--config.file={tmp_path / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{prom_port}",
        "--log.level=warn",
    ]
    tollgate = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    prom = subprocess.Popen(prom_argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        running = Stack(
            f"http://127.0.0.1:{port}", f"http://127.0.0.1:{admin}", f"http://127.0.0.1:{prom_port}"
        )
        async with aiohttp.ClientSession() as http:
            await _wait_http(http, f"{running.admin_url}/readyz", tollgate)
            await _wait_http(http, f"{running.prometheus_url}/-/ready", prom)
            # Scrape targets are applied a few seconds after start-up: wait for the first
            # scrape, so the traffic below moves counters between samples.
            for _ in range(300):
                up = await _query(http, running.prometheus_url, 'up{job="tollgate"} == 1')
                if up["data"]["result"]:
                    break
                await asyncio.sleep(0.05)
            else:
                pytest.fail("Prometheus never scraped Tollgate")
        yield running
    finally:
        _stop(tollgate)
        _stop(prom)


async def _traffic(http: aiohttp.ClientSession, url: str) -> int:
    """Mixed traffic; returns how many requests were sent."""
    chat = f"{url}/v1/chat/completions"
    bodies: list[tuple[str, dict[str, Any]]] = []
    bodies += [(chat, chat_body(f"hello {i}")) for i in range(12)]
    bodies += [(chat, chat_body("stream", stream=True, mock={"chunk_chars": 8})) for _ in range(4)]
    bodies += [(chat, chat_body("boom", mock={"status": 500})) for _ in range(3)]
    bodies += [(chat, chat_body("slow down", mock={"status": 429}))]
    bodies += [(chat, chat_body("cut", stream=True, mock={"die_after_frames": 2}))]
    muse = {"model": "demo-reasoner", "messages": [{"role": "user", "content": "think"}]}
    bodies += [(f"{url}/v1/muse/completions", {**muse, "reasoning_budget": "high"})]

    async def send(target: str, body: dict[str, Any]) -> None:
        async with http.post(target, json=body) as resp:
            await resp.read()

    await asyncio.gather(*(send(t, b) for t, b in bodies))
    return len(bodies)


async def _query(http: aiohttp.ClientSession, base: str, expr: str) -> dict[str, Any]:
    async with http.get(f"{base}/api/v1/query", params={"query": expr}) as resp:
        body: dict[str, Any] = await resp.json()
    return body


def _substitute(expr: str) -> str:
    for name, value in SUBSTITUTIONS.items():
        expr = expr.replace(name, value)
    return expr


@pytest.mark.timeout(60)
async def test_every_dashboard_and_alert_expression_returns_data(stack: Stack) -> None:
    async with aiohttp.ClientSession() as http:
        sent = await _traffic(http, stack.url)
        await asyncio.sleep(1.5)  # a second burst: counters move between scrapes
        sent += await _traffic(http, stack.url)
        async with http.get(f"{stack.admin_url}/metrics") as resp:
            page = await resp.text()
        present = {
            s.name for family in text_string_to_metric_families(page) for s in family.samples
        }
        # Wait until Prometheus has scraped all of it and evaluated the rules twice over.
        total = f'sum(tollgate_requests_total{{job="tollgate"}}) >= {sent}'
        for _ in range(200):
            if (await _query(http, stack.prometheus_url, total))["data"]["result"]:
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("Prometheus never saw the traffic")
        await asyncio.sleep(2.5)

        landed = sorted(m for m in PENDING if m in present)
        assert not landed, f"now produced, remove from PENDING and drive them: {landed}"

        checks: list[tuple[str, str]] = [
            (f"{board}: {title}", _substitute(expr)) for board, title, expr in dashboard_queries()
        ]
        for rule in rules():
            if "record" in rule:
                checks.append((f"record {rule['record']}", rule["expr"]))
            else:
                checks.append((f"alert {rule['alert']}", as_bool(rule["expr"])))
        failures: list[str] = []
        for where, expr in checks:
            answer = await _query(http, stack.prometheus_url, expr)
            if answer.get("status") != "success":
                failures.append(f"{where}: invalid: {answer.get('error')}")
                continue
            if answer["data"]["result"]:
                continue
            missing = {m for m in metric_names(expr) if m not in present}
            if not missing or not missing <= PENDING.keys():
                failures.append(f"{where}: no data (missing on /metrics: {sorted(missing)})")
        assert not failures, "\n".join(failures)

        async with http.get(f"{stack.prometheus_url}/api/v1/rules") as resp:
            groups = (await resp.json())["data"]["groups"]
        unhealthy = [
            (r["name"], r.get("lastError"))
            for g in groups
            for r in g["rules"]
            if r["health"] != "ok"
        ]
        assert not unhealthy
        assert len(checks) > 60


@pytest.mark.timeout(60)
async def test_upstream_error_alert_goes_pending_on_real_errors(stack: Stack) -> None:
    async with aiohttp.ClientSession() as http:
        await _traffic(http, stack.url)  # 5 of 22 requests fail upstream: over 5%
        await asyncio.sleep(1.5)
        await _traffic(http, stack.url)
        for _ in range(150):
            async with http.get(f"{stack.prometheus_url}/api/v1/alerts") as resp:
                alerts = (await resp.json())["data"]["alerts"]
            names = {a["labels"]["alertname"] for a in alerts}
            if "TollgateUpstreamErrors" in names:
                break
            await asyncio.sleep(0.2)
        else:
            pytest.fail("TollgateUpstreamErrors never became pending")
    assert "TollgateAuditEventsDropped" not in names
