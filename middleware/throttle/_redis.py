"""The Redis backend: state shared by every replica.

Each step is one Lua script (``scripts/reserve.lua``, ``scripts/settle.lua``)
run with ``EVALSHA``, so all limits of a request are checked and taken
atomically, against Redis server time. All keys of one API key share the
hash tag ``{tg:<key_id>}`` -- one Redis Cluster slot -- and carry a TTL.
Only key ids reach Redis, never a raw key.

Every call has a hard deadline (``timeout_ms``) and goes through a circuit
breaker; failures raise :class:`BackendUnavailable` at once, and the caller
applies each limit's ``on_redis_error`` policy.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any, TypeVar

import redis.asyncio as aioredis
import structlog
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from middleware import metrics
from middleware.throttle._backend import (
    BackendUnavailable,
    LimitState,
    Outcome,
    ReservePlan,
    SettleOutcome,
    SettlePlan,
)
from middleware.throttle._breaker import STATE_VALUES, BreakerState, CircuitBreaker
from middleware.throttle._config import RedisSettings
from middleware.throttle._specs import LimitSpec, scaled

__all__ = ["RedisBackend", "redis_keys"]

log = structlog.get_logger("tollgate.throttle.redis")

T = TypeVar("T")


def _script(name: str) -> str:
    scripts = resources.files("middleware.throttle").joinpath("scripts")
    return scripts.joinpath(name).read_text("utf-8")


def redis_keys(key_id: str, specs: tuple[LimitSpec, ...]) -> list[str]:
    """The Redis keys of one request: risk, suspension, then one per limit.

    All share the hash tag ``{tg:<key_id>}`` so they live in one cluster slot.
    """
    tag = f"{{tg:{key_id}}}"
    keys = [f"{tag}:risk", f"{tag}:susp"]
    for spec in specs:
        keys.append(f"{tag}:{'l' if spec.kind == 'concurrency' else 'g'}:{spec.name}")
    return keys


def _num(value: Any) -> float:
    return float(value.decode() if isinstance(value, bytes) else value)


def _str(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisBackend:
    """Limit state in Redis. ``settings.url_env``, when set, overrides the URL."""

    name = "redis"

    def __init__(self, settings: RedisSettings, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.settings = settings
        self.url = env.get(settings.url_env) or settings.url
        self._timeout = settings.timeout_ms / 1000.0
        self._client: aioredis.Redis | aioredis.RedisCluster | None = None
        self.breaker = CircuitBreaker(
            settings.breaker_failures, settings.breaker_open_s, on_change=self._on_breaker
        )
        self._reserve_src = _script("reserve.lua")
        self._settle_src = _script("settle.lua")
        self._renew_src = _script("renew.lua")
        self._last_error: str | None = None
        metrics.THROTTLE_REDIS_BREAKER.set(0)

    @property
    def client(self) -> aioredis.Redis | aioredis.RedisCluster:
        """The pooled client (created on first use)."""
        if self._client is None and self.settings.cluster:
            self._client = aioredis.RedisCluster.from_url(
                self.url,
                max_connections=self.settings.max_connections,
                socket_timeout=self._timeout,
                socket_connect_timeout=self.settings.connect_timeout_ms / 1000.0,
                retry=Retry(NoBackoff(), 0),
                cluster_error_retry_attempts=1,
            )
            self._reserve = self._client.register_script(self._reserve_src)
            self._settle = self._client.register_script(self._settle_src)
            self._renew = self._client.register_script(self._renew_src)
        if self._client is None:
            pool = aioredis.BlockingConnectionPool.from_url(
                self.url,
                max_connections=self.settings.max_connections,
                timeout=self._timeout,
                socket_timeout=self._timeout,
                socket_connect_timeout=self.settings.connect_timeout_ms / 1000.0,
                retry=Retry(NoBackoff(), 0),
            )
            self._client = aioredis.Redis(connection_pool=pool, retry=Retry(NoBackoff(), 0))
            self._reserve = self._client.register_script(self._reserve_src)
            self._settle = self._client.register_script(self._settle_src)
            self._renew = self._client.register_script(self._renew_src)
        return self._client

    async def _call(self, op: str, fn: Callable[[], Awaitable[T]]) -> T:
        if not self.breaker.allow():
            metrics.THROTTLE_REDIS_ERRORS.labels(op, "breaker_open").inc()
            raise BackendUnavailable("redis circuit breaker is open")
        t0 = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout):
                result = await fn()
        except TimeoutError:
            self._failed(op, "timeout", f"timed out after {self.settings.timeout_ms:g} ms")
            raise BackendUnavailable(f"redis {op} timed out") from None
        except (RedisError, OSError) as exc:
            self._failed(op, "error", type(exc).__name__)
            raise BackendUnavailable(f"redis {op} failed: {type(exc).__name__}") from None
        metrics.THROTTLE_REDIS_SECONDS.labels(op).observe(time.perf_counter() - t0)
        self.breaker.success()
        self._last_error = None
        return result

    def _failed(self, op: str, reason: str, detail: str) -> None:
        metrics.THROTTLE_REDIS_ERRORS.labels(op, reason).inc()
        self._last_error = f"{op}: {detail}"
        self.breaker.failure()

    def _on_breaker(self, state: BreakerState) -> None:
        metrics.THROTTLE_REDIS_BREAKER.set(STATE_VALUES[state])
        log.warning("throttle_redis_breaker", state=state, error=self._last_error)

    async def reserve(self, key_id: str, plan: ReservePlan) -> Outcome:
        """Run ``reserve.lua``: all limits or none, in one round trip."""
        specs = tuple(c.spec for c in plan.charges)
        args: list[Any] = [
            plan.lease_id,
            plan.lease_ttl_s,
            plan.half_life_s,
            plan.slow_at if plan.slow_at is not None else -1,
            plan.slow_factor,
            len(specs),
        ]
        for charge in plan.charges:
            spec = charge.spec
            kind = "l" if spec.kind == "concurrency" else "g"
            args += [kind, spec.limit, spec.period_s or 1, spec.burst, charge.cost]
        keys = redis_keys(key_id, specs)
        client = self.client
        raw = await self._call(
            "reserve", lambda: self._reserve(keys=keys, args=args, client=client)
        )
        status, risk, factor = _str(raw[0]), _num(raw[1]), _num(raw[2])
        if status == "2":
            return Outcome(
                "suspended",
                risk,
                1.0,
                suspended_until=_num(raw[4]),
                reason=_str(raw[5]),
                backend=self.name,
            )
        states: list[LimitState] = []
        costs: list[float] = []
        for i, spec in enumerate(specs):
            remaining, reset, cost = raw[6 + 3 * i : 9 + 3 * i]
            states.append(LimitState(scaled(spec, factor), int(_num(remaining)), _num(reset)))
            costs.append(_num(cost))
        if status == "0":
            return Outcome(
                "limited",
                risk,
                factor,
                tuple(states),
                refused=int(_num(raw[3])) - 1,
                retry_after_s=_num(raw[4]),
                backend=self.name,
            )
        return Outcome("admitted", risk, factor, tuple(states), tuple(costs), backend=self.name)

    async def settle(self, key_id: str, plan: SettlePlan) -> SettleOutcome:
        """Run ``settle.lua``: adjust, release and add risk in one round trip."""
        entries: list[tuple[LimitSpec, str, float]] = [
            (spec, "g", delta) for spec, delta in plan.adjustments
        ]
        entries += [(spec, "l", 0.0) for spec in plan.releases]
        specs = tuple(e[0] for e in entries)
        args: list[Any] = [
            plan.lease_id,
            plan.half_life_s,
            plan.risk_points,
            plan.suspend_at if plan.suspend_at is not None else -1,
            plan.suspend_for_s,
            len(entries),
        ]
        for spec, kind, delta in entries:
            args += [kind, spec.limit, spec.period_s or 1, delta]
        keys = redis_keys(key_id, specs)
        client = self.client
        raw = await self._call("settle", lambda: self._settle(keys=keys, args=args, client=client))
        started = _str(raw[1])
        return SettleOutcome(_num(raw[0]), float(started) if started else None)

    async def renew(
        self, key_id: str, specs: tuple[LimitSpec, ...], lease_id: str, ttl_s: float
    ) -> int:
        """Run ``renew.lua``: extend this request's live leases."""
        keys = redis_keys(key_id, specs)[2:]
        client = self.client
        out = await self._call(
            "renew", lambda: self._renew(keys=keys, args=[lease_id, ttl_s], client=client)
        )
        return int(out)

    async def risk(self, key_id: str, half_life_s: float) -> float:
        """The key's decayed risk score (server time)."""
        out = await self.settle(key_id, SettlePlan((), (), "", half_life_s))
        return out.risk

    async def suspension(self, key_id: str) -> tuple[float, str] | None:
        """The key's suspension, if any is in force (server time)."""
        client = self.client
        tag = f"{{tg:{key_id}}}"
        until, reason = await self._call(
            "inspect", lambda: client.hmget(f"{tag}:susp", ["until", "reason"])
        )
        if until is None:
            return None
        now = await self._call("inspect", client.time)
        if float(until) <= now[0] + now[1] / 1e6:
            return None
        return float(until), _str(reason or b"")

    async def forgive(self, key_id: str) -> bool:
        """Delete the suspension and the risk score."""
        client = self.client
        tag = f"{{tg:{key_id}}}"
        deleted = await self._call("forgive", lambda: client.delete(f"{tag}:susp", f"{tag}:risk"))
        return bool(deleted)

    async def start(self) -> None:
        """Ping once so a misconfigured URL shows up in the log and health at start."""
        try:
            await self._call("ping", self.client.ping)
        except BackendUnavailable as exc:
            log.warning("throttle_redis_unavailable_at_start", error=str(exc))

    async def close(self) -> None:
        """Close the pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def health(self) -> dict[str, Any]:
        """Breaker state and the last error (never the URL: it may hold a password)."""
        state = self.breaker.state
        return {
            "ok": state != "open",
            "backend": self.name,
            "breaker": state,
            "last_error": self._last_error,
        }
