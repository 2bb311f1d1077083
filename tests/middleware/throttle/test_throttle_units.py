"""Small pure parts: config validation, specs, headers, breaker, usage, exports."""

from __future__ import annotations

import pytest

import middleware.throttle as throttle_pkg
from middleware.throttle import (
    CircuitBreaker,
    LimitSpec,
    LimitState,
    PolicyBook,
    ThrottleConfigError,
    format_duration,
    parse_throttle_config,
    rate_limit_headers,
    record_usage,
    total_tokens,
)
from middleware.throttle._gcra import decayed, gcra_adjust, gcra_take


def test_all_names_exported() -> None:
    for name in throttle_pkg.__all__:
        assert hasattr(throttle_pkg, name)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (
            {"tiers": {"free": {"requests_per_minute": 0}}},
            "throttle.tiers.free.requests_per_minute",
        ),
        ({"tiers": {"free": {"rpm": 5}}}, "throttle.tiers.free.rpm"),
        ({"backend": "etcd"}, "throttle.backend"),
        ({"redis": {"url": "http://x"}}, "throttle.redis.url"),
        (
            {"tiers": {"free": {"tokens_per_day": {"limit": 5, "on_redis_error": "maybe"}}}},
            "throttle.tiers.free.tokens_per_day.on_redis_error",
        ),
        ({"reasoning": {"weights": {"low": 1}}}, "throttle.reasoning.weights"),
        ({"tiers": {"free": {"max_reasoning_level": "huge"}}}, "max_reasoning_level"),
    ],
)
def test_config_errors_name_the_field(raw: dict[str, object], field: str) -> None:
    with pytest.raises(ThrottleConfigError) as err:
        parse_throttle_config(raw)
    assert field in str(err.value)


def test_specs_resolve_tier_tenant_key() -> None:
    key = "k_" + "0" * 24
    cfg = parse_throttle_config(
        {
            "on_redis_error": "fail_closed",
            "tiers": {
                "pro": {
                    "requests_per_minute": {
                        "limit": 60,
                        "burst": 10,
                        "on_redis_error": "fail_open",
                    },
                    "tokens_per_day": 1000,
                    "max_reasoning_level": "high",
                }
            },
            "tenants": {"acme": {"tokens_per_day": 5000, "max_reasoning_level": "low"}},
            "keys": {key: {"concurrent_streams": 3}},
        }
    )
    book = PolicyBook(cfg)
    base = book.for_key("pro", "other", "k_x")
    rpm = base.limits[0]
    assert (rpm.limit, rpm.burst, rpm.fail_closed, rpm.emission_s) == (60, 10, False, 1.0)
    assert base.limits[1].fail_closed is True
    acme = book.for_key("pro", "acme", key)
    assert [(s.name, s.limit) for s in acme.limits] == [
        ("requests_per_minute", 60),
        ("tokens_per_day", 5000),
        ("concurrent_streams", 3),
    ]
    assert acme.limits[2].streams_only
    assert acme.max_reasoning_level == "low"
    assert book.for_key("pro", "acme", key) is acme


def test_gcra_take_and_adjust() -> None:
    first = gcra_take(0.0, 100.0, 1, limit=2, period_s=10, burst=2)
    assert first.allowed and first.remaining == 1 and first.reset_s == 5
    second = gcra_take(first.tat, 100.0, 1, 2, 10, 2)
    third = gcra_take(second.tat, 100.0, 1, 2, 10, 2)
    assert second.allowed and not third.allowed and third.retry_after_s == 5
    assert gcra_adjust(second.tat, 100.0, -10, 2, 10) == 100.0
    assert gcra_adjust(second.tat, 100.0, 1, 2, 10) == 115.0


def test_decay_halves_per_half_life() -> None:
    assert decayed(8, 20, 10) == 2
    assert decayed(0, 5, 10) == 0


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0204, "21ms"),
        (1.0, "1s"),
        (1.5, "1.5s"),
        (360, "6m0s"),
        (3600.0, "1h0m0s"),
        (86399.9999, "24h0m0s"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def _spec(name: str, kind: str, limit: int, period: float) -> LimitSpec:
    return LimitSpec(name, kind, limit, period, limit, False)  # type: ignore[arg-type]


def test_headers_pick_the_tightest_limit() -> None:
    states = [
        LimitState(_spec("requests_per_minute", "requests", 60, 60), 59, 1.0),
        LimitState(_spec("requests_per_day", "requests", 1000, 86400), 10, 86400.0),
        LimitState(_spec("tokens_per_minute", "tokens", 1000, 60), 900, 6.0),
        LimitState(_spec("concurrent_streams", "concurrency", 2, 0), 1, 0.0),
    ]
    h = rate_limit_headers(states)
    assert h["x-ratelimit-limit-requests"] == "1000"
    assert h["x-ratelimit-remaining-requests"] == "10"
    assert h["x-ratelimit-reset-requests"] == "24h0m0s"
    assert h["x-ratelimit-remaining-tokens"] == "900"
    assert h["x-ratelimit-reset-tokens"] == "6s"
    assert h["ratelimit-limit"] == "1000" and h["ratelimit-remaining"] == "10"
    assert h["ratelimit-policy"].count(";w=") == 3


def test_no_headers_without_rate_limits() -> None:
    assert rate_limit_headers([]) == {}


def test_breaker_opens_half_opens_and_closes() -> None:
    now = [0.0]
    changes: list[str] = []
    br = CircuitBreaker(2, 5.0, clock=lambda: now[0], on_change=changes.append)
    br.failure()
    assert br.allow()
    br.failure()
    assert br.state == "open" and not br.allow()
    now[0] = 5.0
    assert br.allow()  # the one probe
    assert not br.allow()
    br.failure()
    assert br.state == "open"
    now[0] = 10.0
    assert br.allow()
    br.success()
    assert str(br.state) == "closed"
    assert changes == ["open", "half_open", "open", "half_open", "closed"]


def test_usage_openai_reasoning_is_inside_completion() -> None:
    usage: dict[str, int] = {}
    record_usage(
        usage,
        {
            "usage": {
                "prompt_tokens": 5,
                "completion_tokens": 50,
                "completion_tokens_details": {"reasoning_tokens": 40},
            }
        },
    )
    assert usage == {"prompt_tokens": 5, "completion_tokens": 50, "reasoning_tokens": 40}
    assert total_tokens(usage) == 55


def test_usage_separately_billed_reasoning_is_added() -> None:
    usage: dict[str, int] = {}
    record_usage(
        usage, {"usage": {"prompt_tokens": 5, "completion_tokens": 10, "reasoning_tokens": 40}}
    )
    assert total_tokens(usage) == 55


def test_usage_total_wins_and_junk_ignored() -> None:
    usage: dict[str, int] = {}
    record_usage(usage, {"usage": {"prompt_tokens": "x", "total_tokens": 70}})
    assert usage == {"total_tokens": 70}
    record_usage(usage, {"no": "usage"})
    assert total_tokens({}) is None


def test_readme_example_builds() -> None:
    from pathlib import Path

    from middleware.app import build_addons
    from middleware.config import load_config

    path = Path(__file__).with_name("example_config.yaml")
    config = load_config(path, environ={"TOLLGATE_KEY_SECRET": "x" * 32})
    names = [a.name for a in build_addons(config)]
    assert names.index("identity") < names.index("throttle")
