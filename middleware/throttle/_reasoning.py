"""Reasoning budgets: cap a request to its tier's maximum level, price it in units.

Each level weighs more (``reasoning.weights``, default low 1, medium 2,
high 4, maximum 8); ``reasoning_units_per_*`` limits spend those units.
"""

from __future__ import annotations

from middleware import metrics
from middleware._context import RequestContext
from middleware.adapters import REASONING_LEVELS, AdapterError
from middleware.errors import ApiError
from middleware.throttle._config import ReasoningSettings
from middleware.throttle._specs import KeyPolicy
from middleware.throttle._ticket import inc

__all__ = ["admit_reasoning", "sent_units"]


def admit_reasoning(ctx: RequestContext, policy: KeyPolicy, settings: ReasoningSettings) -> int:
    """Cap the request's budget to ``policy.max_reasoning_level`` (rewriting
    ``ctx.body``) or refuse with 400 (``over_max: refuse``); return its units.

    A request naming no level is charged ``unspecified_level`` (if set).
    """
    parsed = ctx.parsed
    requested = parsed.reasoning_budget if parsed else None
    level = requested or settings.unspecified_level
    applied = level
    top = policy.max_reasoning_level
    if level and top and REASONING_LEVELS.index(level) > REASONING_LEVELS.index(top):
        if settings.over_max == "refuse":
            raise ApiError(
                400,
                f"Reasoning budget {level!r} exceeds this key's maximum {top!r}.",
                param="reasoning_budget",
                code="reasoning_budget_exceeded",
            )
        applied = top
        if requested and ctx.adapter is not None and ctx.body is not None:
            ctx.body = ctx.adapter.set_reasoning_budget(ctx.body, top)
    if requested or applied:
        inc(
            metrics.THROTTLE_REASONING,
            policy.tier,
            requested or "none",
            (applied or "none") if requested else "none",
        )
    return settings.weights[applied] if applied else 0  # type: ignore[index]


def sent_units(ctx: RequestContext, settings: ReasoningSettings) -> int | None:
    """Units of the budget finally sent upstream (a policy may have capped it
    after admission); ``None`` when the body names no level."""
    if ctx.adapter is None or ctx.body is None:
        return None
    try:
        level = ctx.adapter.parse_request(ctx.body).reasoning_budget
    except AdapterError:
        return None
    return settings.weights[level] if level else None  # type: ignore[index]
