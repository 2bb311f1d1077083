"""Audit event contents: what is recorded about a request or a policy reload.

Only ids, names, counts, scores, timings and statuses -- never the prompt,
the output, the API key or any header. Other addons' results are read
defensively from ``ctx.state`` (they may be absent or of another version):
``policy`` (the decision record), ``throttle`` (the admission ticket),
``actor_risk`` (risk before the request), ``actor_risk_after``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from middleware._context import RequestContext

__all__ = [
    "EVENT_VERSION",
    "get_field",
    "iso_time",
    "reload_event",
    "request_event",
    "rule_hits",
]

EVENT_VERSION = 1
_MODEL = re.compile(r"^[A-Za-z0-9._:/@+\-]{1,128}$")
_SCALARS = (str, int, float, bool, type(None))


def get_field(obj: Any, name: str, default: Any = None) -> Any:
    """``obj[name]`` for mappings, ``obj.name`` otherwise; ``default`` if absent."""
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def iso_time(epoch: float) -> str:
    """UTC ISO-8601 with milliseconds."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


def _ms(seconds: Any) -> float | None:
    return round(seconds * 1000, 3) if isinstance(seconds, int | float) else None


def _scalar(value: Any) -> Any:
    return value if isinstance(value, _SCALARS) else str(value)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple | frozenset | set):
        return [str(v) for v in value]
    return []


def rule_hits(record: Any) -> list[dict[str, Any]]:
    """Every rule that fired (enforced and monitor) in a policy record, per direction."""
    hits: list[dict[str, Any]] = []
    for decision in (get_field(record, "input"), get_field(record, "output")):
        if decision is None:
            continue
        direction = get_field(decision, "direction")
        for group in ("matches", "monitored"):
            for hit in get_field(decision, group, ()) or ():
                score = get_field(hit, "max_score")
                hits.append(
                    {
                        "id": _scalar(get_field(hit, "rule_id", get_field(hit, "id"))),
                        "action": _scalar(get_field(hit, "action")),
                        "mode": _scalar(get_field(hit, "mode")),
                        "categories": _strings(get_field(hit, "categories")),
                        "direction": _scalar(direction),
                        "kinds": _strings(get_field(hit, "kinds")),
                        "count": _scalar(get_field(hit, "count")),
                        "max_score": round(score, 4) if isinstance(score, float) else score,
                        "risk_points": _scalar(get_field(hit, "risk_points")),
                    }
                )
    return hits


def _findings(record: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for decision in (get_field(record, "input"), get_field(record, "output")):
        if decision is None:
            continue
        for f in get_field(decision, "findings", ()) or ():
            score = get_field(f, "max_score")
            out.append(
                {
                    "direction": _scalar(get_field(decision, "direction")),
                    "kind": _scalar(get_field(f, "kind")),
                    "count": _scalar(get_field(f, "count")),
                    "max_score": round(score, 4) if isinstance(score, float) else score,
                }
            )
    return out


def _revision(record: Any) -> str | None:
    revision = get_field(record, "revision")
    value = get_field(revision, "hash", revision)
    return value if isinstance(value, str) else None


def _throttle(ctx: RequestContext) -> dict[str, Any] | None:
    ticket = ctx.state.get("throttle")
    if ticket is not None:
        outcome = get_field(ticket, "outcome")
        return {
            "admitted": True,
            "status": _scalar(get_field(outcome, "status", "admitted")),
            "backend": _scalar(get_field(outcome, "backend")),
            "slowdown": _scalar(get_field(outcome, "factor")),
            "estimated_tokens": _scalar(get_field(ticket, "estimate")),
            "reasoning_units": _scalar(get_field(ticket, "units")),
        }
    if ctx.status == 429 or ctx.error in {
        "rate_limit_exceeded",
        "actor_suspended",
        "rate_limiter_unavailable",
    }:
        return {"admitted": False, "reason": ctx.error}
    return None


def _risk(ctx: RequestContext, record: Any) -> dict[str, Any] | None:
    before = ctx.state.get("actor_risk")
    if not isinstance(before, int | float):
        return None
    after = ctx.state.get("actor_risk_after")
    if not isinstance(after, int | float):
        points = get_field(record, "risk_points", 0)
        after = before + (points if isinstance(points, int | float) else 0)
    return {"before": round(float(before), 4), "after": round(float(after), 4)}


def _model(ctx: RequestContext) -> str | None:
    model = ctx.parsed.model if ctx.parsed else None
    if model is None:
        return None
    # A client-chosen string: keep it only if it looks like a model name.
    return model if _MODEL.match(model) else "invalid"


def _applied_budget(ctx: RequestContext) -> str | None:
    forwarded = ctx.state.get("audit.forwarded_budget")
    return forwarded if isinstance(forwarded, str) else None


def request_event(ctx: RequestContext, *, requested_budget: str | None) -> dict[str, Any]:
    """The audit event of one finished request (no chain fields yet)."""
    record = ctx.state.get("policy")
    ident = ctx.identity
    t = ctx.timings
    # Passed-through (unscreened) routes skip the request hooks but still reach the upstream.
    forwarded = "audit.forwarded" in ctx.state or "upstream_headers" in t
    total = t.get("total")
    upstream: float | None = None
    if "input_screening" in t and total is not None:
        end = t.get("upstream", total) if not ctx.stream else total
        upstream = max(0.0, end - t["input_screening"])
    usage = {k: v for k, v in ctx.usage.items() if isinstance(v, int)}
    return {
        "event": "request",
        "v": EVENT_VERSION,
        "time": iso_time(ctx.started_wall),
        "time_end": iso_time(time.time()),
        "request_id": ctx.request_id,
        "decision_id": _scalar(get_field(record, "decision_id")),
        "key_id": ident.key_id if ident else None,
        "tenant": ident.tenant if ident else None,
        "tier": ident.tier if ident else None,
        "known_key": ident.known if ident else None,
        "method": ctx.request.method,
        "route": ctx.route,
        "model": _model(ctx),
        "stream": ctx.stream,
        "reasoning_budget": {
            "requested": requested_budget,
            "applied": _applied_budget(ctx) if forwarded else None,
        },
        "forwarded": forwarded,
        "decision": ctx.decision,
        "would_have": _scalar(get_field(record, "would_have")),
        "status": ctx.status,
        "upstream_status": ctx.upstream_status,
        "error": ctx.error,
        "policy_revision": _revision(record),
        "rules": rule_hits(record),
        "findings": _findings(record),
        "latency_ms": {
            "total": _ms(total),
            "input_screening": _ms(t.get("input_screening")),
            "upstream_headers": _ms(t.get("upstream_headers")),
            "upstream": _ms(upstream),
            "output_screening": _ms(t.get("output_screening")),
            "ttft": _ms(t.get("ttfb")),
        },
        "usage": usage,
        "throttle": _throttle(ctx),
        "risk": _risk(ctx, record),
    }


def reload_event(
    *,
    result: str,
    revision: str | None,
    previous_revision: str | None = None,
    error: str | None = None,
    trigger: str | None = None,
    rules: int | None = None,
    files: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The audit event of one policy reload attempt."""
    now = time.time()
    return {
        "event": "policy_reload",
        "v": EVENT_VERSION,
        "time": iso_time(now),
        "result": result,
        "revision": revision,
        "previous_revision": previous_revision,
        "error": error[:2000] if error else None,
        "trigger": trigger,
        "rules": rules,
        "files": dict(files) if files else None,
    }
