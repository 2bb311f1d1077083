"""Backend semantics, run identically against memory and a real Redis."""

from __future__ import annotations

import asyncio

import pytest
import redis

from middleware.throttle import (
    Charge,
    LimitSpec,
    MemoryBackend,
    RedisBackend,
    RedisSettings,
    ReservePlan,
    SettlePlan,
    ThrottleBackend,
)

KEY = "k_" + "cd" * 12


def rate(name: str, limit: int, period: float, burst: int | None = None) -> LimitSpec:
    kind = "tokens" if name.startswith("tokens") else "requests"
    return LimitSpec(name, kind, limit, period, burst or limit, False)  # type: ignore[arg-type]


def lease(limit: int) -> LimitSpec:
    return LimitSpec("concurrent_requests", "concurrency", limit, 0.0, limit, False)


def plan(
    *charges: Charge,
    lease_id: str = "L1",
    ttl: float = 60.0,
    half_life: float = 3600.0,
    slow_at: float | None = None,
    slow_factor: float = 1.0,
) -> ReservePlan:
    return ReservePlan(tuple(charges), lease_id, ttl, half_life, slow_at, slow_factor)


async def test_requests_limit_admits_exactly_burst(backend: ThrottleBackend) -> None:
    spec = rate("requests_per_day", 5, 86400)
    outcomes = [await backend.reserve(KEY, plan(Charge(spec))) for _ in range(7)]
    assert [o.status for o in outcomes] == ["admitted"] * 5 + ["limited"] * 2
    assert [o.states[0].remaining for o in outcomes[:5]] == [4, 3, 2, 1, 0]


async def test_retry_after_is_the_emission_interval(backend: ThrottleBackend) -> None:
    spec = rate("requests_per_second", 10, 1.0)
    for _ in range(10):
        assert (await backend.reserve(KEY, plan(Charge(spec)))).status == "admitted"
    refused = await backend.reserve(KEY, plan(Charge(spec)))
    assert refused.status == "limited"
    assert 0 < refused.retry_after_s <= 0.1 + 1e-6
    await asyncio.sleep(refused.retry_after_s + 0.01)
    assert (await backend.reserve(KEY, plan(Charge(spec)))).status == "admitted"


async def test_all_or_nothing(backend: ThrottleBackend) -> None:
    roomy = rate("requests_per_day", 100, 86400)
    tight = rate("tokens_per_day", 10, 86400)
    assert (await backend.reserve(KEY, plan(Charge(roomy), Charge(tight, 10)))).status == (
        "admitted"
    )
    refused = await backend.reserve(KEY, plan(Charge(roomy), Charge(tight, 5)))
    assert refused.status == "limited"
    assert refused.refused == 1
    # The roomy limit was not taken by the refused request.
    again = await backend.reserve(KEY, plan(Charge(roomy)))
    assert again.states[0].remaining == 98


async def test_refusal_takes_no_lease(backend: ThrottleBackend) -> None:
    tight = rate("requests_per_day", 1, 86400)
    conc = lease(1)
    await backend.reserve(KEY, plan(Charge(tight), lease_id="a"))
    assert (await backend.reserve(KEY, plan(Charge(tight), Charge(conc), lease_id="b"))).status == (
        "limited"
    )
    assert (await backend.reserve(KEY, plan(Charge(conc), lease_id="c"))).status == "admitted"


async def test_token_charge_capped_at_burst(backend: ThrottleBackend) -> None:
    spec = rate("tokens_per_minute", 1000, 60)
    out = await backend.reserve(KEY, plan(Charge(spec, 5000)))
    assert out.status == "admitted"
    assert out.costs == (1000.0,)
    assert out.states[0].remaining == 0


async def test_settle_refund_restores_budget(backend: ThrottleBackend) -> None:
    spec = rate("tokens_per_day", 1000, 86400)
    out = await backend.reserve(KEY, plan(Charge(spec, 600)))
    await backend.settle(KEY, SettlePlan(((spec, -600.0),), (), "L1", 3600.0))
    after = await backend.reserve(KEY, plan(Charge(spec, 1000)))
    assert out.status == after.status == "admitted"


async def test_settle_to_actual_usage(backend: ThrottleBackend) -> None:
    spec = rate("tokens_per_day", 1000, 86400)
    await backend.reserve(KEY, plan(Charge(spec, 500)))
    await backend.settle(KEY, SettlePlan(((spec, 200.0),), (), "L1", 3600.0))  # used 700
    out = await backend.reserve(KEY, plan(Charge(spec, 1)))
    assert out.states[0].remaining == 299


async def test_overdraw_is_paid_back_by_waiting(backend: ThrottleBackend) -> None:
    spec = rate("tokens_per_day", 100, 86400)
    await backend.reserve(KEY, plan(Charge(spec, 100)))
    await backend.settle(KEY, SettlePlan(((spec, 50.0),), (), "L1", 3600.0))
    out = await backend.reserve(KEY, plan(Charge(spec, 1)))
    assert out.status == "limited"
    assert out.retry_after_s > 86400 * 0.5


async def test_concurrency_leases(backend: ThrottleBackend) -> None:
    conc = lease(2)
    assert (await backend.reserve(KEY, plan(Charge(conc), lease_id="a"))).status == "admitted"
    assert (await backend.reserve(KEY, plan(Charge(conc), lease_id="b"))).status == "admitted"
    third = await backend.reserve(KEY, plan(Charge(conc), lease_id="c"))
    assert third.status == "limited"
    await backend.settle(KEY, SettlePlan((), (conc,), "a", 3600.0))
    assert (await backend.reserve(KEY, plan(Charge(conc), lease_id="c"))).status == "admitted"


async def test_leases_expire(backend: ThrottleBackend) -> None:
    conc = lease(1)
    await backend.reserve(KEY, plan(Charge(conc), lease_id="a", ttl=0.2))
    assert (await backend.reserve(KEY, plan(Charge(conc), lease_id="b"))).status == "limited"
    await asyncio.sleep(0.3)
    assert (await backend.reserve(KEY, plan(Charge(conc), lease_id="b"))).status == "admitted"


async def test_risk_accumulates_and_decays(backend: ThrottleBackend) -> None:
    out = await backend.settle(KEY, SettlePlan((), (), "", 0.3, risk_points=8.0))
    assert out.risk == pytest.approx(8.0, rel=0.05)
    await asyncio.sleep(0.3)
    later = await backend.risk(KEY, 0.3)
    assert 0 < later <= 4.0 + 0.1


async def test_risk_slows_the_key_down(backend: ThrottleBackend) -> None:
    spec = rate("requests_per_day", 8, 86400)
    await backend.settle(KEY, SettlePlan((), (), "", 3600.0, risk_points=10.0))
    outs = [
        await backend.reserve(KEY, plan(Charge(spec), slow_at=5.0, slow_factor=0.25))
        for _ in range(3)
    ]
    assert [o.status for o in outs] == ["admitted", "admitted", "limited"]
    assert outs[0].factor == 0.25
    assert outs[0].states[0].spec.limit == 2


async def test_risk_suspends_the_key(backend: ThrottleBackend) -> None:
    spec = rate("requests_per_day", 100, 86400)
    first = await backend.settle(
        KEY, SettlePlan((), (), "", 3600.0, 5.0, suspend_at=10.0, suspend_for_s=60.0)
    )
    assert first.suspended_until is None
    second = await backend.settle(
        KEY, SettlePlan((), (), "", 3600.0, 6.0, suspend_at=10.0, suspend_for_s=60.0)
    )
    assert second.suspended_until is not None
    out = await backend.reserve(KEY, plan(Charge(spec)))
    assert out.status == "suspended"
    assert out.suspended_until == pytest.approx(second.suspended_until, abs=0.01)
    assert "threshold 10" in out.reason


async def test_other_keys_unaffected(backend: ThrottleBackend) -> None:
    spec = rate("requests_per_day", 1, 86400)
    await backend.reserve(KEY, plan(Charge(spec)))
    other = "k_" + "ef" * 12
    assert (await backend.reserve(other, plan(Charge(spec)))).status == "admitted"


async def test_memory_gcra_retry_is_exact() -> None:
    now = [1000.0]
    be = MemoryBackend(clock=lambda: now[0])
    spec = rate("requests_per_minute", 6, 60)  # one per 10 s
    for _ in range(6):
        await be.reserve(KEY, plan(Charge(spec)))
    refused = await be.reserve(KEY, plan(Charge(spec)))
    assert refused.retry_after_s == pytest.approx(10.0)
    now[0] += 9.99
    assert (await be.reserve(KEY, plan(Charge(spec)))).status == "limited"
    now[0] += 0.01
    assert (await be.reserve(KEY, plan(Charge(spec)))).status == "admitted"


async def test_no_double_burst_at_window_edges() -> None:
    now = [1000.0]
    be = MemoryBackend(clock=lambda: now[0])
    spec = rate("requests_per_minute", 60, 60)
    admitted = 0
    # 30 s of hammering straddling a minute boundary: burst + refill, never 2x burst.
    for i in range(3001):
        now[0] = 1000.0 + i / 100
        admitted += (await be.reserve(KEY, plan(Charge(spec)))).status == "admitted"
    assert admitted == 60 + 30


async def test_memory_risk_decay_is_exact() -> None:
    now = [0.0]
    be = MemoryBackend(clock=lambda: now[0])
    await be.settle(KEY, SettlePlan((), (), "", 100.0, risk_points=16.0))
    now[0] += 200.0
    assert await be.risk(KEY, 100.0) == pytest.approx(4.0)


async def test_redis_keys_are_hash_tagged_key_ids(redis_url: str) -> None:
    be = RedisBackend(
        RedisSettings(url=redis_url, url_env="TOLLGATE_TEST_UNSET_REDIS_URL", timeout_ms=2000)
    )
    spec = rate("requests_per_day", 5, 86400)
    await be.reserve(KEY, plan(Charge(spec), Charge(lease(3))))
    await be.settle(KEY, SettlePlan((), (), "", 3600.0, risk_points=1.0))
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    keys = sorted(str(k) for k in client.keys("*"))
    assert keys and all(k.startswith(f"{{tg:{KEY}}}:") for k in keys)
    ttls = [client.pttl(k) for k in keys]
    assert all(t > 0 for t in ttls)
    await be.close()


async def test_suspension_can_be_inspected_and_forgiven(backend: ThrottleBackend) -> None:
    assert await backend.suspension(KEY) is None
    await backend.settle(
        KEY, SettlePlan((), (), "", 3600.0, 20.0, suspend_at=10.0, suspend_for_s=60.0)
    )
    found = await backend.suspension(KEY)
    assert found is not None and "threshold 10" in found[1]
    assert await backend.forgive(KEY) is True
    assert await backend.suspension(KEY) is None
    assert await backend.risk(KEY, 3600.0) == 0.0
    spec = rate("requests_per_day", 5, 86400)
    assert (await backend.reserve(KEY, plan(Charge(spec)))).status == "admitted"


async def test_renew_extends_only_live_leases(backend: ThrottleBackend) -> None:
    conc = lease(1)
    await backend.reserve(KEY, plan(Charge(conc), lease_id="a", ttl=0.3))
    await asyncio.sleep(0.2)
    assert await backend.renew(KEY, (conc,), "a", 60.0) == 1
    await asyncio.sleep(0.2)  # past the original expiry
    assert (await backend.reserve(KEY, plan(Charge(conc), lease_id="b"))).status == "limited"
    await backend.settle(KEY, SettlePlan((), (conc,), "a", 3600.0))
    assert await backend.renew(KEY, (conc,), "a", 60.0) == 0  # released: not resurrected


async def test_memory_sweeps_idle_keys() -> None:
    now = [0.0]
    be = MemoryBackend(clock=lambda: now[0])
    spec = rate("requests_per_minute", 10, 60)
    for i in range(3000):
        await be.reserve(f"k_{i:024x}", plan(Charge(spec)))
    assert be.key_count() == 3000
    now[0] = 120.0  # every bucket has refilled: the state is back to "never seen"
    for _ in range(1100):
        await be.reserve(KEY, plan(Charge(spec, 0)))
    assert be.key_count() == 1
