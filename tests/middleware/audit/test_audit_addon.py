"""The audit addon in a running Tollgate: one event per request, nothing secret, fail-closed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from middleware._context import RequestContext
from middleware.access import AccessAddon
from middleware.addons import Addon
from middleware.audit import (
    AuditAddon,
    AuditConfigError,
    parse_audit_settings,
    record_reload,
    verify_files,
)
from tests.conftest import Running, StartTollgate, chat_body
from tests.middleware.audit.conftest import KEY, file_audit, read_events, until
from tests.middleware.audit.test_audit_sinks import _BrokenSink

SECRET_KEY = "sk-live-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
EMAIL = "jane.doe.private@example.org"
PROMPT = f"my email is {EMAIL} and my ssn is 078-05-1120, key AKIAIOSFODNN7EXAMPLE"
REPLY = "Sure: your password is hunter2-Very-Secret-Output"


class FakePolicy(Addon):
    """Stands in for the policy addon: a decision record shaped like the real one."""

    name = "policy"

    async def request(self, ctx: RequestContext) -> None:
        text = ctx.parsed.segments[0].text if ctx.parsed and ctx.parsed.segments else ""
        start = text.find(EMAIL)
        spans = (
            (SimpleNamespace(segment=0, start=start, end=start + len(EMAIL), kind="pii.EMAIL"),)
            if start >= 0
            else ()
        )
        hit = SimpleNamespace(
            rule_id="pii.email.redact",
            action="redact",
            mode="enforce",
            categories=("pii",),
            kinds=("pii.EMAIL",),
            count=len(spans),
            max_score=0.93,
            risk_points=1.0,
            spans=spans,
        )
        decision = SimpleNamespace(
            direction="input",
            matches=(hit,) if spans else (),
            monitored=(),
            findings=(SimpleNamespace(kind="pii.EMAIL", count=len(spans), max_score=0.93),),
        )
        ctx.state["policy"] = SimpleNamespace(
            decision_id="d-123",
            revision=SimpleNamespace(hash="0123456789abcdef"),
            input=decision,
            output=None,
            would_have="redact" if spans else "allow",
            risk_points=1.0 if spans else 0.0,
        )
        ctx.state["actor_risk"] = 2.5
        if spans:
            ctx.decision = "redact"


async def _wait_lines(path: Path, n: int) -> list[dict[str, Any]]:
    for _ in range(200):
        if path.exists() and len(path.read_text().splitlines()) >= n:
            break
        await asyncio.sleep(0.02)
    return read_events(path)


async def _start(
    start_tollgate: StartTollgate, upstream: Any, audit: AuditAddon, *extra: Addon
) -> Running:
    addons: list[Addon] = [AccessAddon(log_requests=False), *extra, audit]
    return await start_tollgate(str(upstream.make_url("")).rstrip("/"), addons=addons)


async def test_one_event_per_request_with_ids_route_decision_and_latencies(
    tmp_path: Path, upstream: Any, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    path = tmp_path / "audit.jsonl"
    running = await _start(start_tollgate, upstream, file_audit(path), FakePolicy())
    async with http.post(f"{running.url}/v1/chat/completions", json=chat_body(PROMPT)) as resp:
        assert resp.status == 200
        request_id = resp.headers["x-request-id"]
    (event,) = await _wait_lines(path, 1)
    assert event["event"] == "request"
    assert event["request_id"] == request_id
    assert event["decision_id"] == "d-123"
    assert (event["route"], event["status"], event["decision"]) == ("openai_chat", 200, "redact")
    assert event["policy_revision"] == "0123456789abcdef"
    assert event["rules"][0]["id"] == "pii.email.redact"
    assert event["rules"][0]["direction"] == "input"
    assert event["risk"] == {"before": 2.5, "after": 3.5}
    assert event["latency_ms"]["total"] >= event["latency_ms"]["input_screening"] >= 0
    assert event["seq"] == 1


async def test_no_prompt_output_or_key_reaches_the_audit_log(
    tmp_path: Path, upstream: Any, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    path = tmp_path / "audit.jsonl"
    running = await _start(start_tollgate, upstream, file_audit(path), FakePolicy())
    headers = {"Authorization": f"Bearer {SECRET_KEY}"}
    for stream in (False, True):
        body = chat_body(PROMPT, stream=stream, mock={"reply": REPLY})
        async with http.post(
            f"{running.url}/v1/chat/completions", json=body, headers=headers
        ) as resp:
            assert resp.status == 200
            await resp.read()
    await _wait_lines(path, 2)
    text = path.read_text()
    for secret in (SECRET_KEY, EMAIL, "078-05-1120", "AKIAIOSFODNN7EXAMPLE", "hunter2", PROMPT):
        assert secret not in text


async def test_redacted_excerpts_are_opt_in_and_masked(
    tmp_path: Path, upstream: Any, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    path = tmp_path / "audit.jsonl"
    audit = file_audit(path, include_redacted_excerpts=True, excerpt_context_chars=12)
    running = await _start(start_tollgate, upstream, audit, FakePolicy())
    async with http.post(f"{running.url}/v1/chat/completions", json=chat_body(PROMPT)) as resp:
        assert resp.status == 200
    (event,) = await _wait_lines(path, 1)
    (excerpt,) = event["excerpts"]
    assert excerpt["excerpt"] == "my email is [pii.EMAIL] and my ssn …"
    assert EMAIL not in path.read_text()


async def test_excerpts_are_absent_by_default(
    tmp_path: Path, upstream: Any, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    path = tmp_path / "audit.jsonl"
    running = await _start(start_tollgate, upstream, file_audit(path), FakePolicy())
    async with http.post(f"{running.url}/v1/chat/completions", json=chat_body(PROMPT)) as resp:
        assert resp.status == 200
    (event,) = await _wait_lines(path, 1)
    assert "excerpts" not in event


class _CapBudget(Addon):
    name = "cap"

    async def request(self, ctx: RequestContext) -> None:
        assert ctx.adapter is not None
        ctx.body = ctx.adapter.set_reasoning_budget(ctx.body, "low")


async def test_reasoning_budget_requested_and_applied(
    tmp_path: Path, upstream: Any, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    path = tmp_path / "audit.jsonl"
    running = await _start(start_tollgate, upstream, file_audit(path), _CapBudget())
    body = {"model": "demo-reasoner", "messages": [{"role": "user", "content": "hi"}]}
    body["reasoning_budget"] = "high"
    async with http.post(f"{running.url}/v1/muse/completions", json=body) as resp:
        assert resp.status == 200
    (event,) = await _wait_lines(path, 1)
    assert event["reasoning_budget"] == {"requested": "high", "applied": "low"}


async def test_record_reload_writes_a_chained_event(
    tmp_path: Path, upstream: Any, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    path = tmp_path / "audit.jsonl"
    running = await _start(start_tollgate, upstream, file_audit(path))
    async with http.post(f"{running.url}/v1/chat/completions", json=chat_body()) as resp:
        assert resp.status == 200
    recorded = record_reload(
        result="failure", revision="abc", error="rules.yaml:3: bad", trigger="watch"
    )
    assert recorded
    events = await _wait_lines(path, 2)
    assert [e["event"] for e in events] == ["request", "policy_reload"]
    assert events[1]["result"] == "failure"
    assert events[1]["error"] == "rules.yaml:3: bad"
    assert verify_files([path], KEY).ok


async def test_record_reload_from_a_worker_thread_lands_in_the_chain(
    tmp_path: Path, upstream: Any, start_tollgate: StartTollgate
) -> None:
    path = tmp_path / "audit.jsonl"
    await _start(start_tollgate, upstream, file_audit(path))
    await asyncio.to_thread(record_reload, result="success", revision="r2", trigger="watch")
    (event,) = await _wait_lines(path, 1)
    assert (event["event"], event["revision"], event["seq"]) == ("policy_reload", "r2", 1)


async def test_fail_closed_refuses_requests_while_the_trail_is_broken(
    upstream: Any, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    sink = _BrokenSink()
    settings = parse_audit_settings({"on_failure": "fail_closed", "retry_interval_s": 0.01})
    audit = AuditAddon(settings, key=KEY, sinks=[sink])
    running = await _start(start_tollgate, upstream, audit)
    url = f"{running.url}/v1/chat/completions"
    async with http.post(url, json=chat_body()) as resp:
        assert resp.status == 200  # healthy until the first write fails
    trail = audit.trail
    assert trail is not None
    await until(lambda: not trail.healthy)
    async with http.post(url, json=chat_body()) as resp:
        assert resp.status == 503
        error = (await resp.json())["error"]
    assert (error["type"], error["code"]) == ("server_error", "audit_unavailable")
    async with http.get(f"{running.admin_url}/readyz") as resp:
        assert resp.status == 503
    sink.fixed = True
    await until(lambda: trail.healthy)
    async with http.post(url, json=chat_body()) as resp:
        assert resp.status == 200


async def test_fail_open_keeps_serving_and_stays_ready(
    upstream: Any, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    sink = _BrokenSink()
    # A sink that never recovers holds shutdown for the whole flush budget: keep it short.
    settings = parse_audit_settings({"retry_interval_s": 0.01, "shutdown_timeout_s": 0.5})
    audit = AuditAddon(settings, key=KEY, sinks=[sink])
    running = await _start(start_tollgate, upstream, audit)
    url = f"{running.url}/v1/chat/completions"
    async with http.post(url, json=chat_body()) as resp:
        assert resp.status == 200
    trail = audit.trail
    assert trail is not None
    await until(lambda: not trail.healthy)
    async with http.post(url, json=chat_body()) as resp:
        assert resp.status == 200
    async with http.get(f"{running.admin_url}/readyz") as resp:
        body = await resp.json()
    assert resp.status == 200
    assert body["checks"]["audit"]["healthy"] is False


def test_audit_config_errors_name_the_field() -> None:
    with pytest.raises(AuditConfigError, match=r"audit\.on_failure"):
        parse_audit_settings({"on_failure": "maybe"})
    with pytest.raises(AuditConfigError, match=r"audit\.sinks\.0\.file\.path"):
        parse_audit_settings({"sinks": [{"type": "file"}]})


def test_package_exports_what_it_lists() -> None:
    import middleware.audit as audit

    for name in audit.__all__:
        assert hasattr(audit, name), name
