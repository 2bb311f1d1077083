"""The audit addon: one chained audit event per request, and the fail-closed gate.

Place it *last* in the addon list: its ``request`` hook then runs right
before the request is forwarded (it notes the time -- the input screening
latency -- and the reasoning budget actually sent), and its ``done`` hook
sees every other addon's final state. With ``on_failure: fail_closed`` it
refuses new requests (503, ``audit_unavailable``) and fails ``/readyz``
while any sink is failing or has lost events.
"""

from __future__ import annotations

import time
from typing import Any

import structlog

from middleware._context import RequestContext
from middleware.access import AccessMark
from middleware.addons import Addon
from middleware.audit._events import request_event
from middleware.audit._excerpts import masked_excerpts
from middleware.audit._settings import AuditSettings, parse_audit_settings, resolve_key
from middleware.audit._sinks import Sink
from middleware.audit._trail import AuditTrail, active_trail, set_active_trail
from middleware.config import Config
from middleware.errors import ApiError

__all__ = ["AuditAddon"]

log = structlog.get_logger("tollgate.audit")


class AuditAddon(Addon):
    """Writes the audit trail (see the module docstring)."""

    name = "audit"

    def __init__(
        self,
        settings: AuditSettings,
        *,
        key: bytes | None = None,
        sinks: list[Sink] | None = None,
    ) -> None:
        self.settings = settings
        configured = key is not None
        if key is None:
            key, configured = resolve_key(settings)
        self.key_configured = configured
        self.trail: AuditTrail | None = (
            AuditTrail(settings, key, sinks=sinks) if settings.enabled else None
        )

    @classmethod
    def from_config(cls, config: Config) -> AuditAddon:
        """Build from ``config.audit`` (raises ``AuditConfigError`` naming the field)."""
        return cls(parse_audit_settings(config.audit))

    # -- lifecycle -------------------------------------------------------------

    async def startup(self) -> None:
        """Open the sinks, resume the chain, start the writers, become the active trail."""
        if self.trail is None:
            return
        if not self.key_configured:
            log.warning(
                "audit_key_ephemeral",
                hint=f"set ${self.settings.key_env}: without it the chain cannot be verified",
            )
        await self.trail.start()
        set_active_trail(self.trail)

    async def shutdown(self) -> None:
        """Flush every queued event and close the sinks (SIGTERM loses nothing)."""
        if self.trail is None:
            return
        if active_trail() is self.trail:
            set_active_trail(None)
        await self.trail.close()

    def health(self) -> dict[str, Any]:
        """Sink status; not ok only under ``fail_closed`` while the trail loses events."""
        if self.trail is None:
            return {"ok": True, "enabled": False}
        healthy = self.trail.healthy
        return {
            "ok": healthy or self.settings.on_failure == "fail_open",
            "healthy": healthy,
            "on_failure": self.settings.on_failure,
            "sinks": self.trail.status(),
        }

    # -- hooks -------------------------------------------------------------------

    async def request(self, ctx: RequestContext) -> None:
        """Last before forwarding: refuse if fail-closed and broken; note timing and budget."""
        if (
            self.trail is not None
            and self.settings.on_failure == "fail_closed"
            and not self.trail.healthy
        ):
            raise ApiError(
                503,
                "The audit trail is unavailable; requests are refused until it recovers.",
                type="server_error",
                code="audit_unavailable",
            )
        ctx.timings["input_screening"] = time.perf_counter() - ctx.started
        ctx.state["audit.forwarded"] = True
        field = getattr(ctx.adapter, "budget_field", None)
        if isinstance(field, str) and isinstance(ctx.body, dict):
            budget = ctx.body.get(field)
            if isinstance(budget, str):
                ctx.state["audit.forwarded_budget"] = budget

    async def done(self, ctx: RequestContext) -> None:
        """Build and record this request's event; never raises."""
        if self.trail is None:
            return
        try:
            mark = ctx.state.get("access")
            requested = (
                mark.reasoning_budget
                if isinstance(mark, AccessMark)
                else (ctx.parsed.reasoning_budget if ctx.parsed else None)
            )
            event = request_event(ctx, requested_budget=requested)
            if self.settings.include_redacted_excerpts and ctx.parsed is not None:
                event["excerpts"] = masked_excerpts(
                    ctx.parsed.segments,
                    ctx.state.get("policy"),
                    self.settings.excerpt_context_chars,
                )
            self.trail.record(event)
        except Exception:
            log.exception("audit_event_failed", request_id=ctx.request_id)
