"""Request, stream, finding and detector metrics: what is counted, with bounded labels."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import aiohttp
import regex
from prometheus_client import REGISTRY

from middleware import metrics
from middleware._context import RequestContext
from middleware.access import AccessAddon
from middleware.addons import Addon
from middleware.audit import AuditAddon, parse_audit_settings
from middleware.streaming import StreamAddon, StreamScreening
from tests.conftest import Running, StartTollgate, chat_body
from tests.middleware.stream_rules import Rule, RuleScreening


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class _Decide(Addon):
    """Sets a decision and a policy-like record with findings."""

    name = "policy"

    def __init__(self, decision: str) -> None:
        self.decision = decision

    async def request(self, ctx: RequestContext) -> None:
        ctx.decision = self.decision
        findings = (
            SimpleNamespace(kind="pii.EMAIL_ADDRESS", count=2, max_score=0.9),
            SimpleNamespace(kind="secret.aws_access_key", count=1, max_score=1.0),
            SimpleNamespace(kind="free text a client wrote", count=1, max_score=0.5),
        )
        ctx.state["policy"] = SimpleNamespace(
            decisions=(SimpleNamespace(direction="input", findings=findings),)
        )


async def _start(start_tollgate: StartTollgate, upstream: Any, *extra: Addon) -> Running:
    audit = AuditAddon(parse_audit_settings({"sinks": []}), key=b"k")
    addons: list[Addon] = [AccessAddon(log_requests=False), *extra, audit]
    return await start_tollgate(str(upstream.make_url("")).rstrip("/"), addons=addons)


def test_bounded_folds_unknown_values_into_other() -> None:
    assert metrics.bounded("block", metrics.DECISIONS) == "block"
    assert metrics.bounded("gpt-4o-mini-2024", metrics.DECISIONS) == "other"
    assert metrics.bounded(None, metrics.DECISIONS) == "other"


def test_label_name_folds_free_text_into_other() -> None:
    assert metrics.label_name("presidio_pii") == "presidio_pii"
    assert metrics.label_name("Ignore previous instructions!") == "other"
    assert metrics.label_name("x" * 80) == "other"


def test_finding_family_is_the_kind_prefix_or_other() -> None:
    assert metrics.finding_family("pii.EMAIL_ADDRESS") == "pii"
    assert metrics.finding_family("secret.aws_access_key") == "secret"
    assert metrics.finding_family("somebody's.kind") == "other"


async def test_unknown_decision_is_counted_as_other(
    upstream: Any, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    running = await _start(start_tollgate, upstream, _Decide("made_up"))
    labels = {"route": "openai_chat", "status": "200", "decision": "other"}
    before = _value("tollgate_requests_total", **labels)
    async with http.post(f"{running.url}/v1/chat/completions", json=chat_body()) as resp:
        assert resp.status == 200
    assert _value("tollgate_requests_total", **labels) == before + 1


async def test_findings_are_counted_by_family_and_direction(
    upstream: Any, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    running = await _start(start_tollgate, upstream, _Decide("flag"))
    pii = {"family": "pii", "direction": "input"}
    other = {"family": "other", "direction": "input"}
    before = _value("tollgate_findings_total", **pii), _value("tollgate_findings_total", **other)
    async with http.post(f"{running.url}/v1/chat/completions", json=chat_body()) as resp:
        assert resp.status == 200
    after = _value("tollgate_findings_total", **pii), _value("tollgate_findings_total", **other)
    assert (after[0] - before[0], after[1] - before[1]) == (2, 1)


async def test_stream_records_ttft_termination_and_closes_the_open_gauge(
    upstream: Any, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    running = await _start(start_tollgate, upstream)
    ttft = ("tollgate_time_to_first_token_seconds_count", {"route": "openai_chat"})
    done = ("tollgate_stream_terminations_total", {"route": "openai_chat", "reason": "complete"})
    before = _value(ttft[0], **ttft[1]), _value(done[0], **done[1])
    body = chat_body(stream=True)
    async with http.post(f"{running.url}/v1/chat/completions", json=body) as resp:
        await resp.read()
    after = _value(ttft[0], **ttft[1]), _value(done[0], **done[1])
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)
    assert _value("tollgate_streams_open") == 0


async def test_stream_cut_by_the_upstream_counts_as_upstream_error(
    upstream: Any, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    running = await _start(start_tollgate, upstream)
    labels = {"route": "openai_chat", "reason": "upstream_error"}
    before = _value("tollgate_stream_terminations_total", **labels)
    body = chat_body(stream=True, mock={"die_after_frames": 2})
    async with http.post(f"{running.url}/v1/chat/completions", json=body) as resp:
        await resp.read()
    assert _value("tollgate_stream_terminations_total", **labels) == before + 1


async def test_overhead_is_observed_for_forwarded_requests(
    upstream: Any, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    running = await _start(start_tollgate, upstream)
    name = "tollgate_overhead_seconds_count"
    before = _value(name, route="openai_chat")
    async with http.post(f"{running.url}/v1/chat/completions", json=chat_body()) as resp:
        assert resp.status == 200
    assert _value(name, route="openai_chat") == before + 1


@dataclass(frozen=True)
class _Event:
    detector: str
    outcome: str
    seconds: float


def test_observe_detector_counts_runs_hits_errors_and_timeouts() -> None:
    names = (
        "tollgate_detector_runs_total",
        "tollgate_detector_cache_hits_total",
        "tollgate_detector_duration_seconds_count",
    )
    before = [_value(n, detector="unit_test_det") for n in names]
    timeouts = _value("tollgate_detector_errors_total", detector="unit_test_det", reason="timeout")
    for outcome in ("ok", "cached", "timeout", "error"):
        metrics.observe_detector(_Event("unit_test_det", outcome, 0.01))
    after = [_value(n, detector="unit_test_det") for n in names]
    assert [a - b for a, b in zip(after, before, strict=True)] == [3, 1, 3]
    errors = _value("tollgate_detector_errors_total", detector="unit_test_det", reason="timeout")
    assert errors == timeouts + 1


async def test_upstream_errors_are_counted_by_reason(
    upstream: Any, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    running = await _start(start_tollgate, upstream)
    labels = {"route": "openai_chat", "reason": "http_5xx"}
    before = _value("tollgate_upstream_errors_total", **labels)
    body = chat_body(mock={"status": 503})
    async with http.post(f"{running.url}/v1/chat/completions", json=body) as resp:
        assert resp.status == 503
    assert _value("tollgate_upstream_errors_total", **labels) == before + 1


async def test_unreachable_upstream_is_counted(
    start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    audit = AuditAddon(parse_audit_settings({"sinks": []}), key=b"k")
    running = await start_tollgate(
        "http://127.0.0.1:9", addons=[AccessAddon(log_requests=False), audit]
    )
    labels = {"route": "openai_chat", "reason": "unreachable"}
    before = _value("tollgate_upstream_errors_total", **labels)
    async with http.post(f"{running.url}/v1/chat/completions", json=chat_body()) as resp:
        assert resp.status == 502
    assert _value("tollgate_upstream_errors_total", **labels) == before + 1


def _screened(rules: list[Rule]) -> StreamAddon:
    async def factory(ctx: RequestContext) -> StreamScreening | None:
        return RuleScreening(rules)

    return StreamAddon(factory)


EMAIL = regex.compile(r"[\w.]+@[\w.]+\.\w+")


async def test_stream_screener_hold_back_is_observed(
    upstream: Any, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    running = await _start(start_tollgate, upstream, _screened([Rule(EMAIL, "redact")]))
    name = "tollgate_stream_held_back_characters_count"
    before = _value(name, route="openai_chat")
    body = chat_body(stream=True, mock={"reply": "write to jane@example.org now", "chunk_chars": 2})
    async with http.post(f"{running.url}/v1/chat/completions", json=body) as resp:
        await resp.read()
    assert _value(name, route="openai_chat") == before + 1
    assert _value("tollgate_stream_held_back_characters_sum", route="openai_chat") > 0


async def test_mid_stream_block_counts_as_content_filter(
    upstream: Any, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    running = await _start(start_tollgate, upstream, _screened([Rule(EMAIL, "block")]))
    labels = {"route": "openai_chat", "reason": "content_filter"}
    before = _value("tollgate_stream_terminations_total", **labels)
    body = chat_body(stream=True, mock={"reply": "write to jane@example.org now", "chunk_chars": 2})
    async with http.post(f"{running.url}/v1/chat/completions", json=body) as resp:
        text = await resp.text()
    assert "content_filter" in text
    assert _value("tollgate_stream_terminations_total", **labels) == before + 1
