"""What an admitted request holds, and the pure settle arithmetic for it.

Settle rules (``done``): token charges move to the actual usage when the
upstream reported it (reasoning included); without usage, a failed request
(error status, upstream failure, client disconnect, cancellation) is
refunded in full and a successful one keeps its estimate. Reasoning units
are refunded on the same failures, and down to the budget actually sent when
a policy capped it after admission. Leases are always released. The risk
points of the policy rules that fired are added.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from middleware import metrics
from middleware._context import RequestContext
from middleware.throttle._backend import Outcome, ReservePlan, SettlePlan
from middleware.throttle._specs import KeyPolicy, LimitSpec
from middleware.usage import total_tokens

__all__ = ["Ticket", "count_tokens", "inc", "risk_points", "settle_plan"]


@dataclass(frozen=True, slots=True)
class Ticket:
    """An admitted request's reservation, kept in ``ctx.state["throttle"]`` until ``done``."""

    key_id: str
    policy: KeyPolicy
    plan: ReservePlan
    outcome: Outcome
    estimate: int
    units: int


# Metric children by label values (bounded: tiers, tenants, limit names from
# config); prometheus_client's labels() lookup is a measurable share of the step.
_CHILDREN: dict[tuple[Any, tuple[str, ...]], Any] = {}


def inc(metric: Any, *labels: str, amount: float = 1.0) -> None:
    """``metric.labels(*labels).inc(amount)`` with the child cached."""
    key = (metric, labels)
    child = _CHILDREN.get(key)
    if child is None:
        child = _CHILDREN[key] = metric.labels(*labels)
    child.inc(amount)


def risk_points(decision: Any) -> float:
    """Risk points of a policy decision record (attribute or mapping; 0 if absent)."""
    if isinstance(decision, Mapping):
        value = decision.get("risk_points", 0)
    else:
        value = getattr(decision, "risk_points", 0)
    return float(value) if isinstance(value, int | float) and value > 0 else 0.0


def settle_plan(ctx: RequestContext, ticket: Ticket, final_units: int | None = None) -> SettlePlan:
    """The corrections for ``ticket`` given how the request ended (see module doc).

    ``final_units``: the reasoning cost of the budget finally sent upstream,
    when a later addon (a policy ``cap``) lowered it; the difference is refunded.
    """
    outcome = ticket.outcome
    used = total_tokens(ctx.usage)
    failed = ctx.error is not None or ctx.status is None or ctx.status >= 400
    adjustments: list[tuple[LimitSpec, float]] = []
    for state, cost in zip(outcome.states, outcome.costs, strict=True):
        kind = state.spec.kind
        if kind == "tokens":
            if used is not None:
                adjustments.append((state.spec, float(used) - cost))
            elif failed:
                adjustments.append((state.spec, -cost))
        elif kind == "reasoning":
            if failed and used is None:
                adjustments.append((state.spec, -cost))
            elif final_units is not None and final_units < cost:
                adjustments.append((state.spec, final_units - cost))
    risk = ticket.policy.risk
    return SettlePlan(
        tuple(adjustments),
        tuple(s.spec for s in outcome.states if s.spec.kind == "concurrency"),
        ticket.plan.lease_id,
        ticket.plan.half_life_s,
        risk_points(ctx.state.get("policy")),
        risk.suspend_at,
        risk.suspend_for_s,
    )


def count_tokens(ctx: RequestContext, tier: str) -> None:
    """Add the request's reported usage to ``tollgate_throttle_tokens_total``."""
    for direction in ("prompt", "completion", "reasoning"):
        value = ctx.usage.get(f"{direction}_tokens")
        if value:
            inc(metrics.THROTTLE_TOKENS, direction, tier, amount=value)
