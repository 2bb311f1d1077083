"""The request-metrics and access-log addon: one log line and metric update per request.

It runs first, so its ``request`` hook sees the request as the client sent
it (the reasoning budget before any cap) and its ``done`` hook records every
request, refused ones included. Other addons' results are read defensively
from ``ctx.state``: the policy record (findings by family) and the stream
screener's summary (termination reason, characters held back).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from middleware import metrics
from middleware._context import RequestContext
from middleware.addons import Addon

__all__ = [
    "AccessAddon",
    "AccessMark",
    "held_back_chars",
    "stream_termination",
    "upstream_error_reason",
]

log = structlog.get_logger("tollgate.access")

_PASSED_THROUGH = frozenset({"client_disconnect", "cancelled", "malformed_stream"})
_UPSTREAM_ERROR_CODES = {
    "upstream_unreachable": "unreachable",
    "upstream_timeout": "timeout",
    "upstream_response_too_large": "too_large",
}


@dataclass(frozen=True, slots=True)
class AccessMark:
    """What the access addon noted on arrival (``ctx.state["access"]``).

    ``reasoning_budget`` is the level the client asked for, before any
    addon capped it; ``streaming`` says the request counts as an open stream.
    """

    reasoning_budget: str | None
    streaming: bool


def _get(obj: Any, name: str, default: Any = None) -> Any:
    """``obj[name]`` for mappings, ``obj.name`` otherwise (other addons' state)."""
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def stream_termination(ctx: RequestContext) -> str | None:
    """Why a streamed response ended (a ``STREAM_TERMINATION_REASONS`` value), or None.

    None when the request was not answered with a stream (not asked for,
    refused, or an upstream error status). A stream screener may state the
    reason as ``ctx.state["stream"]["termination"]``; otherwise it is derived
    from ``ctx.error`` and the decision.
    """
    if not ctx.stream or ctx.status is None or ctx.status >= 400:
        return None
    if ctx.upstream_status is None or ctx.upstream_status >= 400:
        return None
    stated = _get(ctx.state.get("stream"), "termination")
    if stated is not None:
        return metrics.bounded(stated, metrics.STREAM_TERMINATION_REASONS)
    if ctx.state.get("stream_blocked"):
        return "content_filter"
    if ctx.error is None:
        return "content_filter" if ctx.decision == "block" else "complete"
    if ctx.error in _PASSED_THROUGH:
        return ctx.error
    return "upstream_error"


def held_back_chars(ctx: RequestContext) -> int | None:
    """The most characters the stream screener held back at once (None: not screened).

    Read from ``ctx.state["stream"]``: a stated ``held_back_max_chars``, or
    the largest ``max_held`` of its per-channel ``screens``.
    """
    st = ctx.state.get("stream")
    stated = _get(st, "held_back_max_chars")
    if isinstance(stated, int):
        return stated
    screens = _get(st, "screens")
    if not isinstance(screens, Mapping):
        return None
    held = [_get(s, "max_held") for s in screens.values() if s is not None]
    counts = [h for h in held if isinstance(h, int)]
    return max(counts) if counts else None


def upstream_error_reason(ctx: RequestContext, termination: str | None) -> str | None:
    """Why the upstream failed this request (an ``UPSTREAM_ERROR_REASONS`` value), or None."""
    if termination == "upstream_error" and ctx.error == "upstream_unreachable":
        return "stream_interrupted"  # the connection dropped after the stream had begun
    if ctx.error in _UPSTREAM_ERROR_CODES:
        return _UPSTREAM_ERROR_CODES[ctx.error]
    status = ctx.upstream_status
    if status is not None and status >= 500:
        return "http_5xx"
    if status == 429:
        return "http_429"
    if termination == "upstream_error":
        return "stream_interrupted"
    return None


def _decisions(record: Any) -> Iterable[Any]:
    decisions = _get(record, "decisions")
    if isinstance(decisions, tuple | list):
        return decisions
    found = [_get(record, "input"), _get(record, "output")]
    return [d for d in found if d is not None]


class AccessAddon(Addon):
    """Counts requests and writes one structured line per request.

    The line carries ids, route, status, decision and timings -- never the
    body, the key or the client's free-text model name.
    """

    name = "access"

    def __init__(self, *, log_requests: bool = True) -> None:
        self.log_requests = log_requests

    async def request(self, ctx: RequestContext) -> None:
        """Start counting the request as in flight (and as an open stream)."""
        mark = AccessMark(
            reasoning_budget=ctx.parsed.reasoning_budget if ctx.parsed else None,
            streaming=ctx.stream,
        )
        ctx.state[self.name] = mark
        metrics.IN_FLIGHT.inc()
        if mark.streaming:
            metrics.STREAMS_OPEN.inc()

    async def done(self, ctx: RequestContext) -> None:
        """Record metrics and the access line."""
        mark = ctx.state.get(self.name)
        if isinstance(mark, AccessMark):
            metrics.IN_FLIGHT.dec()
            if mark.streaming:
                metrics.STREAMS_OPEN.dec()
        try:
            self._record(ctx)
        except Exception:  # metrics must never break a request's settlement
            log.exception("access_metrics_failed", request_id=ctx.request_id)
        if self.log_requests:
            log.info(
                "request",
                request_id=ctx.request_id,
                method=ctx.request.method,
                route=ctx.route,
                status=ctx.status,
                upstream_status=ctx.upstream_status,
                decision=ctx.decision,
                stream=ctx.stream,
                key_id=ctx.identity.key_id if ctx.identity else None,
                error=ctx.error,
                duration_ms=round(ctx.timings.get("total", 0.0) * 1000, 2),
            )

    @staticmethod
    def _record(ctx: RequestContext) -> None:
        route = ctx.route
        timings = ctx.timings
        decision = metrics.bounded(ctx.decision, metrics.DECISIONS)
        metrics.REQUESTS.labels(route, str(ctx.status or 0), decision).inc()
        total = timings.get("total", 0.0)
        metrics.REQUEST_DURATION.labels(route).observe(total)
        if "upstream_headers" in timings:
            metrics.UPSTREAM_DURATION.labels(route).observe(timings["upstream_headers"])
        if "ttfb" in timings:
            metrics.TTFT_DURATION.labels(route).observe(timings["ttfb"])
        if "upstream" in timings and "output_screening" not in timings:
            # Non-streamed: everything after the upstream body arrived is screening.
            timings["output_screening"] = max(0.0, total - timings["upstream"])
        if "input_screening" in timings:
            overhead = timings["input_screening"] + timings.get("output_screening", 0.0)
            metrics.OVERHEAD_DURATION.labels(route).observe(overhead)
        reason = stream_termination(ctx)
        failed = upstream_error_reason(ctx, reason)
        if failed is not None:
            metrics.UPSTREAM_ERRORS.labels(route, failed).inc()
        if reason is not None:
            metrics.STREAM_TERMINATIONS.labels(route, reason).inc()
            held = held_back_chars(ctx)
            if held is not None:
                metrics.STREAM_HELD_BACK.labels(route).observe(held)
        for decided in _decisions(ctx.state.get("policy")):
            direction = metrics.bounded(
                _get(decided, "direction"), ("input", "output", "reasoning")
            )
            for finding in _get(decided, "findings", ()) or ():
                count = _get(finding, "count", 1)
                family = metrics.finding_family(_get(finding, "kind"))
                metrics.FINDINGS.labels(family, direction).inc(
                    count if isinstance(count, int) and count > 0 else 1
                )
