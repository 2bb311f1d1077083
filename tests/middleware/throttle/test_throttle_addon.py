"""The throttle addon on request contexts: admission, headers, settle, reasoning, risk."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

import pytest

from middleware.adapters import MuseCompletionsAdapter
from middleware.config import Config
from middleware.errors import ApiError
from middleware.throttle import (
    MemoryBackend,
    ThrottleAddon,
    ThrottleBackend,
    ThrottleConfigError,
    Ticket,
)

TIERS: dict[str, Any] = {
    "default": {
        "requests_per_minute": 3,
        "tokens_per_day": 100_000,
        "concurrent_streams": 1,
    }
}


async def test_admitted_request_gets_rate_limit_headers(
    backend: ThrottleBackend, make_addon: Any, make_ctx: Any
) -> None:
    addon = make_addon({"tiers": TIERS}, backend)
    ctx = make_ctx()
    await addon.request(ctx)
    h = ctx.response_headers
    assert h["x-ratelimit-limit-requests"] == "3"
    assert h["x-ratelimit-remaining-requests"] == "2"
    assert h["x-ratelimit-reset-requests"] == "20s"
    assert h["x-ratelimit-limit-tokens"] == "100000"
    assert int(h["x-ratelimit-remaining-tokens"]) < 100_000 - 1024
    assert h["ratelimit-limit"] and h["ratelimit-remaining"] and h["ratelimit-reset"]
    assert 'name="requests_per_minute"' in h["ratelimit-policy"]
    await addon.done(ctx)


async def test_refusal_is_429_naming_the_limit(
    backend: ThrottleBackend, make_addon: Any, make_ctx: Any
) -> None:
    addon = make_addon({"tiers": TIERS}, backend)
    for _ in range(3):
        ctx = make_ctx()
        await addon.request(ctx)
        ctx.status = 200
        await addon.done(ctx)
    ctx = make_ctx()
    with pytest.raises(ApiError) as err:
        await addon.request(ctx)
    exc = err.value
    assert exc.status == 429
    body = exc.body()["error"]
    assert body["code"] == "rate_limit_exceeded"
    assert body["limit"] == "requests_per_minute"
    assert "requests per minute" in body["message"]
    assert 0 < body["retry_after_s"] <= 20
    assert exc.headers["retry-after"] == "20"
    assert 19000 < int(exc.headers["retry-after-ms"]) <= 20000
    assert ctx.response_headers["x-ratelimit-remaining-requests"] == "0"


async def test_tokens_reserved_then_settled_to_usage(
    backend: ThrottleBackend, make_addon: Any, make_ctx: Any, chat_body: Any
) -> None:
    addon = make_addon({"tiers": {"default": {"tokens_per_day": 1000}}}, backend)
    ctx = make_ctx(chat_body(max_tokens=300))
    await addon.request(ctx)
    ticket = ctx.state["throttle"]
    assert isinstance(ticket, Ticket)
    assert 300 < ticket.estimate < 320  # prompt ("Hello there" + framing) + max_tokens
    ctx.status = 200
    await addon.response(ctx, {"usage": {"prompt_tokens": 9, "completion_tokens": 41}})
    await addon.done(ctx)
    nxt = make_ctx(chat_body(max_tokens=1))
    await addon.request(nxt)
    used_by_next = nxt.state["throttle"].estimate
    assert int(nxt.response_headers["x-ratelimit-remaining-tokens"]) == 1000 - 50 - used_by_next


async def test_reasoning_tokens_count_when_billed_separately(
    backend: ThrottleBackend, make_addon: Any, make_ctx: Any, chat_body: Any
) -> None:
    addon = make_addon({"tiers": {"default": {"tokens_per_day": 1000}}}, backend)
    ctx = make_ctx(chat_body(max_tokens=10))
    await addon.request(ctx)
    ctx.status = 200
    usage = {"prompt_tokens": 10, "completion_tokens": 20, "reasoning_tokens": 100}
    await addon.response(ctx, {"usage": usage})
    await addon.done(ctx)
    nxt = make_ctx(chat_body(max_tokens=1))
    await addon.request(nxt)
    est = nxt.state["throttle"].estimate
    assert int(nxt.response_headers["x-ratelimit-remaining-tokens"]) == 1000 - 130 - est


@pytest.mark.parametrize("failure", ["status", "error"])
async def test_tokens_refunded_on_error_or_cancel(
    backend: ThrottleBackend, make_addon: Any, make_ctx: Any, chat_body: Any, failure: str
) -> None:
    addon = make_addon({"tiers": {"default": {"tokens_per_day": 1000}}}, backend)
    ctx = make_ctx(chat_body(max_tokens=900))
    await addon.request(ctx)
    if failure == "status":
        ctx.status = 502
    else:
        ctx.status, ctx.error = 200, "client_disconnect"
    await addon.done(ctx)
    again = make_ctx(chat_body(max_tokens=900))
    await addon.request(again)  # would be refused had the first 900+ not been refunded
    assert again.state["throttle"].outcome.status == "admitted"


async def test_successful_call_without_usage_keeps_estimate(
    backend: ThrottleBackend, make_addon: Any, make_ctx: Any, chat_body: Any
) -> None:
    addon = make_addon({"tiers": {"default": {"tokens_per_day": 1000}}}, backend)
    ctx = make_ctx(chat_body(max_tokens=900))
    await addon.request(ctx)
    ctx.status = 200
    await addon.done(ctx)
    with pytest.raises(ApiError) as err:
        await addon.request(make_ctx(chat_body(max_tokens=900)))
    assert err.value.body()["error"]["limit"] == "tokens_per_day"


async def test_stream_lease_released_in_done(
    backend: ThrottleBackend, make_addon: Any, make_ctx: Any, chat_body: Any
) -> None:
    addon = make_addon({"tiers": TIERS}, backend)
    first = make_ctx(chat_body(stream=True))
    await addon.request(first)
    with pytest.raises(ApiError) as err:
        await addon.request(make_ctx(chat_body(stream=True)))
    assert err.value.body()["error"]["limit"] == "concurrent_streams"
    await addon.request(make_ctx(chat_body()))  # non-streamed requests take no stream lease
    first.status, first.error = 200, "cancelled"
    await addon.done(first)
    await addon.request(make_ctx(chat_body(stream=True)))


async def test_reasoning_budget_capped_and_charged(
    backend: ThrottleBackend, make_addon: Any, make_ctx: Any
) -> None:
    tiers = {
        "default": {"max_reasoning_level": "medium", "reasoning_units_per_hour": 5},
    }
    addon = make_addon({"tiers": tiers}, backend)
    body = {
        "model": "muse-1",
        "messages": [{"role": "user", "content": "hi"}],
        "reasoning_budget": "maximum",
    }
    ctx = make_ctx(body, adapter=MuseCompletionsAdapter())
    await addon.request(ctx)
    assert ctx.body["reasoning_budget"] == "medium"
    assert ctx.state["throttle"].units == 2
    body2 = dict(body, reasoning_budget="low")
    await addon.request(make_ctx(body2, adapter=MuseCompletionsAdapter()))  # 3 of 5 used
    await addon.request(make_ctx(body, adapter=MuseCompletionsAdapter()))  # 5 of 5 used
    with pytest.raises(ApiError) as err:
        await addon.request(make_ctx(body2, adapter=MuseCompletionsAdapter()))
    assert err.value.status == 429
    assert err.value.body()["error"]["limit"] == "reasoning_units_per_hour"


async def test_reasoning_over_max_can_refuse(make_addon: Any, make_ctx: Any) -> None:
    addon = make_addon(
        {"reasoning": {"over_max": "refuse"}, "tiers": {"default": {"max_reasoning_level": "low"}}},
        MemoryBackend(),
    )
    body = {
        "model": "muse-1",
        "messages": [{"role": "user", "content": "hi"}],
        "reasoning_budget": "high",
    }
    with pytest.raises(ApiError) as err:
        await addon.request(make_ctx(body, adapter=MuseCompletionsAdapter()))
    assert err.value.status == 400
    assert err.value.code == "reasoning_budget_exceeded"


async def test_policy_risk_points_feed_actor_risk(
    backend: ThrottleBackend, make_addon: Any, make_ctx: Any
) -> None:
    addon = make_addon({"tiers": TIERS}, backend)
    ctx = make_ctx()
    await addon.request(ctx)
    assert ctx.state["actor_risk"] == 0.0
    ctx.status = 403
    ctx.state["policy"] = SimpleNamespace(risk_points=7)
    await addon.done(ctx)
    nxt = make_ctx()
    await addon.request(nxt)
    assert nxt.state["actor_risk"] == pytest.approx(7.0, rel=0.01)


async def test_risky_actor_is_suspended_with_403(
    backend: ThrottleBackend, make_addon: Any, make_ctx: Any
) -> None:
    tiers = {"default": {"risk": {"suspend_at": 10, "suspend_for_s": 600}}}
    addon = make_addon({"tiers": tiers}, backend)
    ctx = make_ctx()
    await addon.request(ctx)
    ctx.status = 403
    ctx.state["policy"] = {"risk_points": 12}
    await addon.done(ctx)
    with pytest.raises(ApiError) as err:
        await addon.request(make_ctx())
    exc = err.value
    assert exc.status == 403
    body = exc.body()["error"]
    assert body["code"] == "actor_suspended"
    assert "threshold 10" in body["reason"]
    assert body["suspended_until"].endswith("Z")
    assert 590 <= int(exc.headers["retry-after"]) <= 600


async def test_risky_actor_is_slowed_down(make_addon: Any, make_ctx: Any) -> None:
    tiers = {"default": {"requests_per_day": 8, "risk": {"slow_at": 5, "slow_factor": 0.5}}}
    addon = make_addon({"tiers": tiers}, MemoryBackend())
    ctx = make_ctx()
    await addon.request(ctx)
    ctx.status, ctx.state["policy"] = 200, {"risk_points": 6}
    await addon.done(ctx)
    slowed = make_ctx()
    await addon.request(slowed)
    assert slowed.response_headers["x-ratelimit-limit-requests"] == "4"
    assert slowed.response_headers["x-ratelimit-remaining-requests"] == "2"


async def test_tenant_and_key_overrides(make_addon: Any, make_ctx: Any) -> None:
    key = "k_" + "12" * 12
    raw = {
        "tiers": {"default": {"requests_per_minute": 10, "requests_per_day": 100}},
        "tenants": {"acme": {"requests_per_minute": 20}},
        "keys": {key: {"requests_per_minute": 30, "requests_per_day": None}},
    }
    addon = make_addon(raw, MemoryBackend())
    tenant_ctx = make_ctx()
    await addon.request(tenant_ctx)
    names = [s.spec.name for s in tenant_ctx.state["throttle"].outcome.states]
    assert names == ["requests_per_minute", "requests_per_day"]
    assert tenant_ctx.state["throttle"].outcome.states[0].spec.limit == 20
    key_ctx = make_ctx(key_id=key)
    await addon.request(key_ctx)
    states = key_ctx.state["throttle"].outcome.states
    assert [(s.spec.name, s.spec.limit) for s in states] == [("requests_per_minute", 30)]


async def test_disabled_throttle_does_nothing(make_addon: Any, make_ctx: Any) -> None:
    addon = make_addon({"enabled": False, "tiers": TIERS}, MemoryBackend())
    ctx = make_ctx()
    await addon.request(ctx)
    assert ctx.response_headers == {} and "throttle" not in ctx.state


def test_from_config_checks_tiers_used_by_identity() -> None:
    cfg = Config.model_validate(
        {"identity": {"default_tier": "free"}, "throttle": {"tiers": {"pro": {}}}}
    )
    with pytest.raises(ThrottleConfigError, match=r"throttle\.tiers: free"):
        ThrottleAddon.from_config(cfg)


def test_from_config_rejects_raw_keys_in_overrides() -> None:
    cfg = Config.model_validate(
        {"throttle": {"tiers": {"default": {}}, "keys": {"sk-raw": {"requests_per_day": 1}}}}
    )
    with pytest.raises(ThrottleConfigError, match=r"throttle\.keys\.sk-raw"):
        ThrottleAddon.from_config(cfg)


def test_error_body_is_openai_json(make_addon: Any) -> None:
    from middleware.throttle._headers import unavailable

    exc = unavailable("requests_per_day")
    body = json.loads(exc.body_bytes())
    assert set(body["error"]) >= {"message", "type", "param", "code"}
    assert exc.status == 503


async def test_long_stream_keeps_its_lease(make_addon: Any, make_ctx: Any, chat_body: Any) -> None:
    backend = MemoryBackend()
    addon = make_addon(
        {"lease_ttl_s": 0.3, "tiers": {"default": {"concurrent_streams": 1}}}, backend
    )
    await addon.startup()
    try:
        ctx = make_ctx(chat_body(stream=True))
        await addon.request(ctx)
        key_id = ctx.identity.key_id
        for _ in range(10):  # 1 s: over three lease lifetimes
            await asyncio.sleep(0.1)
            assert backend.leases_held(key_id) == 1
        ctx.status = 200
        await addon.done(ctx)
        assert backend.leases_held(key_id) == 0
    finally:
        await addon.shutdown()


async def test_lease_of_a_vanished_request_lapses(
    make_addon: Any, make_ctx: Any, chat_body: Any
) -> None:
    backend = MemoryBackend()
    addon = make_addon(
        {"lease_ttl_s": 0.2, "tiers": {"default": {"concurrent_streams": 1}}}, backend
    )
    await addon.request(make_ctx(chat_body(stream=True)))  # no renewer: a crashed replica
    await asyncio.sleep(0.3)
    await addon.request(make_ctx(chat_body(stream=True)))


async def test_policy_cap_after_admission_refunds_units(
    backend: ThrottleBackend, make_addon: Any, make_ctx: Any
) -> None:
    addon = make_addon({"tiers": {"default": {"reasoning_units_per_hour": 8}}}, backend)
    body = {
        "model": "muse-1",
        "messages": [{"role": "user", "content": "hi"}],
        "reasoning_budget": "maximum",
    }
    ctx = make_ctx(body, adapter=MuseCompletionsAdapter())
    await addon.request(ctx)  # 8 of 8 units
    ctx.body = ctx.adapter.set_reasoning_budget(ctx.body, "low")  # what a policy cap does
    ctx.status = 200
    await addon.done(ctx)  # settles to 1 unit
    nxt = make_ctx(dict(body, reasoning_budget="high"), adapter=MuseCompletionsAdapter())
    await addon.request(nxt)  # 4 more fit only if 7 were refunded
    assert nxt.state["throttle"].outcome.states[0].remaining == 3
