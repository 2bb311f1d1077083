"""The throttle addon: admit (check and reserve) before forwarding, settle after.

Runs second, after identity and before policy. ``request`` caps the
reasoning budget to the tier maximum, estimates tokens, and takes every
applicable limit in one atomic backend step; it sets ``ctx.state
["actor_risk"]`` for the policy and the rate-limit headers for the client.
``done`` (always, once) settles the token and unit reservations to the
actual usage (or refunds them on errors and cancellations), releases the
leases, and adds the risk points of the policy rules that fired.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

import structlog

from middleware import metrics
from middleware._context import RequestContext
from middleware.addons import Addon
from middleware.throttle._backend import (
    BACKENDS,
    BackendUnavailable,
    Charge,
    Outcome,
    ReservePlan,
    ThrottleBackend,
)
from middleware.throttle._config import ThrottleConfig, ThrottleConfigError, parse_throttle_config
from middleware.throttle._headers import rate_limit_headers, rate_limited, suspended, unavailable
from middleware.throttle._memory import MemoryBackend
from middleware.throttle._reasoning import admit_reasoning, sent_units
from middleware.throttle._specs import KeyPolicy, PolicyBook, scaled
from middleware.throttle._ticket import Ticket, count_tokens, inc, settle_plan
from middleware.throttle._tokens import TokenCounter
from middleware.usage import record_usage

if TYPE_CHECKING:
    from aiohttp import web

    from middleware.config import Config

__all__ = ["ThrottleAddon"]

log = structlog.get_logger("tollgate.throttle")


class ThrottleAddon(Addon):
    """Per-key limits, reasoning budgets and actor risk (see the README section)."""

    name: ClassVar[str] = "throttle"

    def __init__(
        self,
        config: ThrottleConfig,
        *,
        backend: ThrottleBackend | None = None,
        fallback: MemoryBackend | None = None,
    ) -> None:
        self.config = config
        self.book = PolicyBook(config)
        self.backend = backend if backend is not None else BACKENDS[config.backend](config)
        self.fallback = fallback if fallback is not None else MemoryBackend()
        self.counter = TokenCounter(config.tokens)
        # In-flight requests holding leases, by lease id: renewed until done().
        self._live: dict[str, Ticket] = {}
        self._renewer: asyncio.Task[None] | None = None
        self._any_fail_closed = any(
            s.fail_closed
            for tier in config.tiers
            for tenant in [*config.tenants, ""]
            for s in self.book.for_key(tier, tenant, "").limits
        ) or any(
            s.fail_closed
            for key_id in config.keys
            for tier in config.tiers
            for s in self.book.for_key(tier, "", key_id).limits
        )

    @classmethod
    def from_config(cls, config: Config) -> ThrottleAddon:
        """Build from the application config; every tier identity uses must exist."""
        from middleware.identity import KEY_ID_PATTERN, parse_identity_config

        tcfg = parse_throttle_config(config.throttle)
        icfg = parse_identity_config(config.identity)
        if tcfg.enabled:
            missing = sorted(icfg.tiers() - set(tcfg.tiers))
            if missing:
                raise ThrottleConfigError(
                    f"throttle.tiers: {', '.join(missing)} used by identity but not defined"
                )
            bad = [k for k in tcfg.keys if not KEY_ID_PATTERN.match(k)]
            if bad:
                raise ThrottleConfigError(
                    f"throttle.keys.{bad[0]}: not a key id (use `tollgate keys hash`)"
                )
        return cls(tcfg)

    # -- lifecycle -------------------------------------------------------------

    async def startup(self) -> None:
        """Load the tokenizer encodings off the loop and connect the backend."""
        if self.config.enabled:
            await self.counter.ensure_loaded()
            await self.backend.start()
            self._renewer = asyncio.create_task(self._renew_loop(), name="throttle-leases")

    async def shutdown(self) -> None:
        """Stop lease renewal and close backend connections."""
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
            self._renewer = None
        await self.backend.close()
        await self.fallback.close()

    def admin_routes(self) -> list[web.RouteDef]:
        """``GET /throttle/keys/{key_id}`` and ``DELETE /throttle/keys/{key_id}/risk``."""
        from middleware.throttle._admin import admin_routes

        return admin_routes(self)

    def health(self) -> dict[str, Any]:
        """Backend readiness. Not ready only when Redis is out *and* some limit is
        fail_closed (fail_open replicas keep serving on local limits)."""
        detail = self.backend.health()
        degraded = not detail.get("ok", True)
        return {
            **detail,
            "ok": not (degraded and self._any_fail_closed),
            "degraded": degraded,
            "enabled": self.config.enabled,
        }

    # -- admission -------------------------------------------------------------

    async def request(self, ctx: RequestContext) -> None:
        """Check and reserve every limit for this request, or refuse it."""
        ident = ctx.identity
        if not self.config.enabled or ident is None:
            return
        policy = self.book.for_key(ident.tier, ident.tenant, ident.key_id)
        units = admit_reasoning(ctx, policy, self.config.reasoning)
        estimate: int | None = None
        charges: list[Charge] = []
        for spec in policy.limits:
            if spec.kind == "requests":
                charges.append(Charge(spec, 1.0))
            elif spec.kind == "tokens":
                if estimate is None:
                    estimate = await self._estimate(ctx, policy)
                charges.append(Charge(spec, float(estimate)))
            elif spec.kind == "reasoning":
                if units:
                    charges.append(Charge(spec, float(units)))
            elif not spec.streams_only or ctx.stream:
                charges.append(Charge(spec))
        risk = policy.risk
        plan = ReservePlan(
            tuple(charges),
            uuid.uuid4().hex,
            self.config.lease_ttl_s,
            self.config.risk.half_life_s,
            risk.slow_at,
            risk.slow_factor,
        )
        outcome = await self._reserve(ident.key_id, policy, plan)
        ctx.state["actor_risk"] = outcome.risk
        ctx.response_headers.update(rate_limit_headers(outcome.states))
        if outcome.status == "suspended":
            inc(metrics.THROTTLE_REFUSALS, "suspended", policy.tier, policy.tenant)
            until = outcome.suspended_until or time.time()
            raise suspended(until, outcome.reason, time.time())
        if outcome.status == "limited":
            index = outcome.refused if outcome.refused is not None else 0
            state = outcome.states[index]
            inc(metrics.THROTTLE_REFUSALS, state.spec.name, policy.tier, policy.tenant)
            raise rate_limited(state, outcome.retry_after_s)
        inc(metrics.THROTTLE_ADMISSIONS, policy.tier, policy.tenant)
        ticket = Ticket(ident.key_id, policy, plan, outcome, estimate or 0, units)
        ctx.state[self.name] = ticket
        if any(s.spec.kind == "concurrency" for s in outcome.states):
            self._live[plan.lease_id] = ticket

    async def _estimate(self, ctx: RequestContext, policy: KeyPolicy) -> int:
        parsed = ctx.parsed
        if parsed is None:
            return 0
        prompt = await self.counter.count_prompt(parsed.segments, parsed.model)
        generates = ctx.adapter is not None and ctx.adapter.screens_output
        completion = (parsed.max_tokens or policy.default_max_tokens) if generates else 0
        return prompt + completion

    async def _reserve(self, key_id: str, policy: KeyPolicy, plan: ReservePlan) -> Outcome:
        try:
            return await self.backend.reserve(key_id, plan)
        except BackendUnavailable as exc:
            closed = [c.spec.name for c in plan.charges if c.spec.fail_closed]
            if closed:
                metrics.THROTTLE_REFUSALS.labels(
                    "backend_unavailable", policy.tier, policy.tenant
                ).inc()
                log.warning("throttle_fail_closed", limit=closed[0], error=str(exc))
                raise unavailable(closed[0]) from None
            metrics.THROTTLE_FALLBACKS.labels(policy.tier).inc()
            share = self.config.redis.fallback_fraction
            local = ReservePlan(
                tuple(Charge(scaled(c.spec, share), c.cost) for c in plan.charges),
                plan.lease_id,
                plan.lease_ttl_s,
                plan.half_life_s,
                plan.slow_at,
                plan.slow_factor,
            )
            return await self.fallback.reserve(key_id, local)

    # -- settlement ------------------------------------------------------------

    async def response(self, ctx: RequestContext, body: Any) -> Any:
        """Record the usage of a non-streamed response for settlement."""
        record_usage(ctx.usage, body)
        return body

    async def done(self, ctx: RequestContext) -> None:
        """Settle, refund, release and add risk; never raises."""
        ticket = ctx.state.get(self.name)
        if not isinstance(ticket, Ticket):
            return
        self._live.pop(ticket.plan.lease_id, None)
        try:
            await self._settle(ctx, ticket)
        except Exception:
            log.exception("throttle_settle_failed", key_id=ticket.key_id)

    async def _settle(self, ctx: RequestContext, ticket: Ticket) -> None:
        policy, outcome = ticket.policy, ticket.outcome
        final = sent_units(ctx, self.config.reasoning) if ticket.units else None
        plan = settle_plan(ctx, ticket, final)
        count_tokens(ctx, policy.tier)
        if not (plan.adjustments or plan.releases or plan.risk_points):
            return
        backend = self._backend_for(outcome)
        try:
            result = await backend.settle(ticket.key_id, plan)
        except BackendUnavailable as exc:
            # Leases expire after lease_ttl_s; refunds and risk points are lost.
            log.warning("throttle_settle_unavailable", key_id=ticket.key_id, error=str(exc))
            return
        if result.suspended_until is not None:
            inc(metrics.THROTTLE_SUSPENSIONS, policy.tier)
            log.warning(
                "throttle_actor_suspended",
                key_id=ticket.key_id,
                tier=policy.tier,
                risk=round(result.risk, 2),
                until=result.suspended_until,
            )

    def _backend_for(self, outcome: Outcome) -> ThrottleBackend:
        """The backend that admitted ``outcome`` (the fallback while Redis was out)."""
        return self.backend if outcome.backend == self.backend.name else self.fallback

    # -- lease renewal ---------------------------------------------------------

    async def renew_leases(self) -> int:
        """Extend the leases of every in-flight request to now + ``lease_ttl_s``.

        Runs every ``lease_ttl_s / 3`` while started, so a long stream keeps its
        lease while a crashed replica's leases expire within ``lease_ttl_s``.
        """
        count = 0
        for ticket in list(self._live.values()):
            specs = tuple(s.spec for s in ticket.outcome.states if s.spec.kind == "concurrency")
            try:
                count += await self._backend_for(ticket.outcome).renew(
                    ticket.key_id, specs, ticket.plan.lease_id, self.config.lease_ttl_s
                )
            except BackendUnavailable:
                continue  # counted by the backend; the lease may lapse
        return count

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.lease_ttl_s / 3)
            try:
                await self.renew_leases()
            except Exception:
                log.exception("throttle_lease_renewal_failed")
