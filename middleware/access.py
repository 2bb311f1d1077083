"""The request-metrics and access-log addon: one log line and metric update per request."""

from __future__ import annotations

import structlog

from middleware import metrics
from middleware._context import RequestContext
from middleware.addons import Addon

__all__ = ["AccessAddon"]

log = structlog.get_logger("tollgate.access")


class AccessAddon(Addon):
    """Counts requests and writes one structured line per request.

    The line carries ids, route, status, decision and timings -- never the
    body, the key or the client's free-text model name.
    """

    name = "access"

    def __init__(self, *, log_requests: bool = True) -> None:
        self.log_requests = log_requests

    async def request(self, ctx: RequestContext) -> None:
        """Start counting the request as in flight."""
        ctx.state[self.name] = True
        metrics.IN_FLIGHT.inc()

    async def done(self, ctx: RequestContext) -> None:
        """Record metrics and the access line."""
        if ctx.state.pop(self.name, False):
            metrics.IN_FLIGHT.dec()
        status = str(ctx.status or 0)
        metrics.REQUESTS.labels(ctx.route, status, ctx.decision).inc()
        total = ctx.timings.get("total", 0.0)
        metrics.REQUEST_DURATION.labels(ctx.route).observe(total)
        if "upstream_headers" in ctx.timings:
            metrics.UPSTREAM_DURATION.labels(ctx.route).observe(ctx.timings["upstream_headers"])
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
                duration_ms=round(total * 1000, 2),
            )
