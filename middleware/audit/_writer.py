"""One bounded queue and one writer task per sink: the event loop never waits on I/O.

:meth:`SinkWriter.offer` is called on the loop and never blocks: a full
queue drops the line (counted, and the sink turns unhealthy until a later
write succeeds). The writer task drains batches and writes them in a worker
thread; a failed write is counted and retried every ``retry_interval_s``
(later lines wait in the queue, and overflow is dropped) until it succeeds.
:meth:`SinkWriter.close` drains what is queued before the sink is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import structlog

from middleware import metrics
from middleware.audit._sinks import Sink

__all__ = ["SinkWriter"]

log = structlog.get_logger("tollgate.audit")

_BATCH = 512


class SinkWriter:
    """Owns one sink: its queue, its writer task and its health."""

    def __init__(self, sink: Sink, *, queue_size: int, retry_interval_s: float = 1.0) -> None:
        self.sink = sink
        self.retry_interval_s = retry_interval_s
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_size)
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._deadline = float("inf")
        self.healthy = True
        self.written = 0
        self.dropped = 0
        self.last_error: str | None = None
        label = metrics.label_name(sink.name)
        self._m_written = metrics.AUDIT_WRITTEN.labels(label)
        self._m_errors = metrics.AUDIT_SINK_ERRORS.labels(label)
        self._m_queue = metrics.AUDIT_QUEUE_DEPTH.labels(label)
        self._m_healthy = metrics.AUDIT_HEALTHY.labels(label)
        self._m_dropped = {
            reason: metrics.AUDIT_DROPPED.labels(label, reason)
            for reason in ("queue_full", "sink_error", "shutdown")
        }
        self._m_healthy.set(1)

    @property
    def name(self) -> str:
        """The sink's name."""
        return self.sink.name

    def has_room(self) -> bool:
        """Whether :meth:`offer` would accept a line now."""
        return not self._closing and not self._queue.full()

    def start(self) -> None:
        """Start the writer task (on the running loop)."""
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"audit-writer-{self.name}"
        )

    def offer(self, line: str) -> bool:
        """Queue ``line`` without blocking; False (and a counted drop) if it cannot."""
        if self._closing:
            self._drop("shutdown")
            return False
        try:
            self._queue.put_nowait(line)
        except asyncio.QueueFull:
            self._drop("queue_full")
            return False
        self._m_queue.set(self._queue.qsize())
        return True

    def drop(self, reason: str) -> None:
        """Count a line this sink never received (``queue_full``, ``shutdown``)."""
        self._drop(reason)

    def _drop(self, reason: str, n: int = 1) -> None:
        self.dropped += n
        self._m_dropped[reason].inc(n)
        self._set_healthy(False)

    def _set_healthy(self, ok: bool) -> None:
        if ok != self.healthy:
            self.healthy = ok
            self._m_healthy.set(1 if ok else 0)
            if ok:
                log.info("audit_sink_recovered", sink=self.name)
            else:
                log.warning("audit_sink_unhealthy", sink=self.name, error=self.last_error)

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < _BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._write(batch)
            for _ in batch:
                self._queue.task_done()
            self._m_queue.set(self._queue.qsize())

    async def _write(self, batch: list[str]) -> None:
        while True:
            try:
                await asyncio.to_thread(self.sink.write, batch)
            except Exception as exc:  # any sink failure: count, retry, never crash
                self._m_errors.inc()
                self.last_error = f"{type(exc).__name__}: {exc}"
                self._set_healthy(False)
                if self._closing and time.monotonic() >= self._deadline:
                    self._drop("sink_error", len(batch))
                    return
                await asyncio.sleep(self.retry_interval_s)
                continue
            self.written += len(batch)
            self._m_written.inc(len(batch))
            self.last_error = None
            self._set_healthy(True)
            return

    async def close(self, timeout_s: float) -> None:
        """Write what is queued (up to ``timeout_s``), then stop and close the sink."""
        self._closing = True
        self._deadline = time.monotonic() + timeout_s
        if self._task is not None:
            try:
                await asyncio.wait_for(self._queue.join(), timeout_s)
            except TimeoutError:
                log.error("audit_flush_timeout", sink=self.name, left=self._queue.qsize())
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        left = self._queue.qsize()
        if left:
            self._drop("shutdown", left)
            while not self._queue.empty():
                self._queue.get_nowait()
        self._m_queue.set(0)
        await asyncio.to_thread(self.sink.close)
