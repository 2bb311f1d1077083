"""The addon contract: lifecycle hooks that every capability plugs into.

An addon is one module's worth of behaviour (identity, throttle, policy,
stream screening, metrics, audit). The pipeline calls the hooks of every
addon in the configured order at each lifecycle event:

``request(ctx)``
    After the body is parsed, before the upstream call. Identify, admit,
    screen input, rewrite ``ctx.body``. Raise
    :class:`~middleware.errors.ApiError` to refuse (later addons' ``request``
    hooks are then skipped; ``done`` still runs for all).
``response(ctx, body)``
    A non-streamed JSON response from the upstream (status < 400). Return the
    body to send on (possibly rewritten); raise ``ApiError`` to block.
``stream_event(ctx, event)``
    One SSE event of a streamed response. Return the events to pass on (zero,
    one or many: hold-back and release). Only called when some addon sets
    ``wants_stream_events``; otherwise raw chunks are relayed untouched.
``stream_end(ctx)``
    The upstream stream ended (or failed: ``ctx.error`` is set); return final
    events to emit (flushed hold-back, error frames).
``done(ctx)``
    Always, exactly once per request, in a ``finally`` -- after errors,
    client disconnects and cancellation too. Settle, release leases, record.
    Must not raise.

Around them: ``startup``/``shutdown`` (load, warm up, release),
``reload`` (SIGHUP and the admin reload endpoint), ``health`` (``/readyz``).
An addon that serves admin endpoints also defines
``admin_routes() -> list[aiohttp.web.RouteDef]`` (see ``middleware.admin``);
that is the only place an addon may touch the web framework.

Subclass :class:`Addon` and override what you need.
"""

from __future__ import annotations

from typing import Any, ClassVar

from middleware._context import RequestContext, SseEvent

__all__ = ["Addon", "StreamStop"]


class StreamStop(Exception):
    """Raised from ``stream_event`` to end a stream now (a mid-stream block).

    The pipeline sends ``events`` as the last thing the client receives, stops
    reading the upstream (the connection is closed, cancelling the
    generation) and skips the remaining ``stream_end`` hooks; ``done`` hooks
    still run.
    """

    def __init__(self, events: list[SseEvent]) -> None:
        super().__init__("stream stopped")
        self.events = events


class Addon:
    """Base addon with no-op hooks."""

    #: Stable short name (metrics, ``ctx.state`` key).
    name: ClassVar[str] = "addon"
    #: Set when ``stream_event``/``stream_end`` must see parsed SSE events.
    wants_stream_events: ClassVar[bool] = False

    async def request(self, ctx: RequestContext) -> None:
        """Before forwarding; may rewrite ``ctx.body`` or raise ``ApiError``."""

    async def response(self, ctx: RequestContext, body: Any) -> Any:
        """A non-streamed JSON response; return the body to send."""
        return body

    async def stream_event(self, ctx: RequestContext, event: SseEvent) -> list[SseEvent]:
        """One upstream SSE event; return what to pass on."""
        return [event]

    async def stream_end(self, ctx: RequestContext) -> list[SseEvent]:
        """The stream ended; return final events."""
        return []

    async def done(self, ctx: RequestContext) -> None:
        """Always called once, last; must not raise."""

    async def startup(self) -> None:
        """Load and warm up; the app is not ready until every addon returns."""

    async def shutdown(self) -> None:
        """Release resources at shutdown."""

    async def reload(self) -> None:
        """Re-read what this addon loads from disk (SIGHUP, admin reload)."""

    def health(self) -> dict[str, Any]:
        """Readiness detail for ``/readyz``; ``{"ok": False, ...}`` makes it fail."""
        return {"ok": True}
