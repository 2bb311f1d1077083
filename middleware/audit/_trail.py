"""The audit trail: events through a dedicated structlog logger, chained, to the sinks.

``record(event)`` runs on the event loop and never blocks: the structlog
processor chain links the event into the HMAC chain and renders it as one
canonical JSON line, and the line is offered to every sink's bounded queue.
When no sink has room the event is dropped *before* it is linked (counted),
and the next recorded event is preceded by an ``audit_gap`` event saying how
many were lost, so the loss is visible in the log itself.

One trail per process is *active* (set by the audit addon at start-up):
:func:`record_reload` writes a policy-reload event to it from anywhere.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

import structlog

from middleware.audit._chain import ChainState, HmacChain
from middleware.audit._events import iso_time, reload_event
from middleware.audit._settings import AuditSettings
from middleware.audit._sinks import Sink, build_sink
from middleware.audit._writer import SinkWriter

__all__ = ["AuditTrail", "active_trail", "record_reload", "set_active_trail"]

log = structlog.get_logger("tollgate.audit")

_active: AuditTrail | None = None


class _QueueLogger:
    """structlog's output end: hands each rendered line to the trail's writers."""

    def __init__(self, trail: AuditTrail) -> None:
        self._trail = trail

    def msg(self, line: str) -> None:
        self._trail._offer(line + "\n")

    info = msg


class AuditTrail:
    """Chained audit events fanned out to sinks, each behind its own writer."""

    def __init__(
        self, settings: AuditSettings, key: bytes, *, sinks: Sequence[Sink] | None = None
    ) -> None:
        self.settings = settings
        self._key = key
        built = list(sinks) if sinks is not None else [build_sink(s) for s in settings.sinks]
        self.writers = [
            SinkWriter(
                s, queue_size=settings.queue_size, retry_interval_s=settings.retry_interval_s
            )
            for s in built
        ]
        self._chain = HmacChain(key)
        self._gap = 0
        self._started = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._logger = structlog.wrap_logger(
            _QueueLogger(self),
            processors=[self._seal],
            wrapper_class=structlog.BoundLogger,
            context_class=dict,
            cache_logger_on_first_use=False,
        )

    # -- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        """Open the sinks, resume the chain from the newest sink tail, start the writers."""
        newest: dict[str, Any] | None = None
        for writer in self.writers:
            await asyncio.to_thread(writer.sink.open)
            last = await asyncio.to_thread(writer.sink.last_event)
            if last is not None and (newest is None or last["seq"] > newest["seq"]):
                newest = last
        if newest is not None and isinstance(newest.get("mac"), str):
            self._chain = HmacChain(self._key, ChainState(int(newest["seq"]), newest["mac"]))
        for writer in self.writers:
            writer.start()
        self._loop = asyncio.get_running_loop()
        self._started = True

    async def close(self) -> None:
        """Flush every queue (bounded by ``shutdown_timeout_s``) and close the sinks."""
        self._started = False
        await asyncio.gather(*(w.close(self.settings.shutdown_timeout_s) for w in self.writers))

    # -- recording ---------------------------------------------------------------

    @property
    def healthy(self) -> bool:
        """No sink is failing or has dropped an event since its last good write."""
        return all(w.healthy for w in self.writers)

    @property
    def chain_state(self) -> ChainState:
        """The last link written to the chain."""
        return self._chain.state

    def record(self, event: Mapping[str, Any]) -> bool:
        """Chain and queue ``event``; False if it was dropped everywhere (counted)."""
        if not any(w.has_room() for w in self.writers):
            for writer in self.writers:
                writer.drop("shutdown" if not self._started else "queue_full")
            self._gap += 1
            return False
        if self._gap:
            gap, self._gap = self._gap, 0
            self._emit({"event": "audit_gap", "v": 1, "dropped": gap, "time": _now()})
        self._emit(event)
        return True

    def record_threadsafe(self, event: Mapping[str, Any]) -> bool:
        """:meth:`record` from any thread: off the trail's loop it is scheduled onto it."""
        loop = self._loop
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if loop is None or here is loop or loop.is_closed():
            return self.record(event)
        loop.call_soon_threadsafe(self.record, event)
        return True

    def _emit(self, event: Mapping[str, Any]) -> None:
        fields = dict(event)
        name = str(fields.pop("event", "event"))
        self._logger.info(name, **fields)

    def _seal(self, _: Any, __: str, event_dict: MutableMapping[str, Any]) -> str:
        # The one processor: link into the chain and render the line.
        return self._chain.seal(event_dict)

    def _offer(self, line: str) -> None:
        for writer in self.writers:
            writer.offer(line)

    def status(self) -> dict[str, Any]:
        """Per-sink health for ``/readyz``."""
        return {
            w.name: {
                "healthy": w.healthy,
                "written": w.written,
                "dropped": w.dropped,
                "last_error": w.last_error,
            }
            for w in self.writers
        }


def _now() -> str:
    return iso_time(time.time())


def active_trail() -> AuditTrail | None:
    """The trail the running audit addon writes to, if any."""
    return _active


def set_active_trail(trail: AuditTrail | None) -> None:
    """Make ``trail`` the process's active trail (the audit addon does this)."""
    global _active
    _active = trail


def record_reload(
    *,
    result: str,
    revision: str | None,
    previous_revision: str | None = None,
    error: str | None = None,
    trigger: str | None = None,
    rules: int | None = None,
    files: Mapping[str, str] | None = None,
) -> bool:
    """Write a ``policy_reload`` audit event to the active trail.

    ``result`` is ``success``, ``failure`` or ``unchanged``; ``revision`` the
    revision serving afterwards; ``error`` why a reload failed; ``trigger``
    what started it (``startup``, ``watch``, ``sighup``, ``admin``). Safe to
    call from any thread (a reload in a worker thread is handed to the loop).
    Returns False when no trail is active (audit disabled, not started) or
    the event had to be dropped.
    """
    trail = _active
    if trail is None:
        return False
    return trail.record_threadsafe(
        reload_event(
            result=result,
            revision=revision,
            previous_revision=previous_revision,
            error=error,
            trigger=trigger,
            rules=rules,
            files=files,
        )
    )
