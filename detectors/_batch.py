"""Coalescing detector work for the process pool: one hand-off per event-loop turn.

Stream screening asks the CPU-heavy detectors about many short windows at
once (every open stream fills a sentence window every second or so). Handing
each (detector, chunk) to a worker process separately costs more in
pickling, pipe writes and the pool's manager thread than the detector itself
spends on a 100-character window. :class:`PoolBatcher` gathers the jobs
issued during one turn of the event loop and sends them as a few batches,
one per worker, each answered in one reply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from contextlib import suppress
from functools import partial
from typing import TypeAlias

from detectors._base import Finding
from detectors._work import Job, JobResult, PreparedChunk

__all__ = ["PoolBatcher"]

Submit: TypeAlias = Callable[[list[Job]], "Future[list[JobResult]]"]
_Waiting: TypeAlias = "tuple[Job, asyncio.Future[tuple[Finding, ...]]]"


class PoolBatcher:
    """Gathers ``(detector name, chunk)`` jobs and submits them in batches.

    ``submit`` hands a batch to the pool and returns its future; ``parts`` is
    how many batches one turn's jobs are split into (the pool's workers, so
    they all get work); ``max_batch`` flushes early so one reply stays small.
    Not thread-safe: call :meth:`run` from the event loop only.
    """

    def __init__(self, submit: Submit, *, parts: int, max_batch: int = 64) -> None:
        self._submit = submit
        self._parts = max(1, parts)
        self._max_batch = max_batch
        self._pending: list[_Waiting] = []
        self._scheduled = False

    def run(self, name: str, chunk: PreparedChunk) -> asyncio.Future[tuple[Finding, ...]]:
        """Queue one job; the future resolves with its findings (or its error).

        Cancelling the future (a timed-out scan) only stops waiting: the
        batch it went out in runs on, and its result is dropped.
        """
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[tuple[Finding, ...]] = loop.create_future()
        self._pending.append(((name, chunk), waiter))
        if len(self._pending) >= self._max_batch:
            self._flush()
        elif not self._scheduled:
            self._scheduled = True
            # After the tasks already scheduled for this turn (the other
            # detectors of the same scan, other streams' windows) have queued.
            loop.call_soon(self._flush)
        return waiter

    def _flush(self) -> None:
        self._scheduled = False
        pending, self._pending = self._pending, []
        if not pending:
            return
        loop = asyncio.get_running_loop()
        for part in _split(pending, self._parts):
            try:
                future = self._submit([job for job, _ in part])
            except Exception as exc:  # a broken or shut-down pool
                _fail(part, exc)
                continue
            future.add_done_callback(partial(_resolve_soon, loop, part))


def _split(items: list[_Waiting], parts: int) -> list[list[_Waiting]]:
    """``items`` in up to ``parts`` contiguous, nearly equal slices (none empty)."""
    parts = min(parts, len(items))
    size, extra = divmod(len(items), parts)
    out, start = [], 0
    for k in range(parts):
        end = start + size + (1 if k < extra else 0)
        out.append(items[start:end])
        start = end
    return out


def _fail(part: Sequence[_Waiting], exc: BaseException) -> None:
    for _, waiter in part:
        if not waiter.done():
            waiter.set_exception(exc)


def _resolve_soon(
    loop: asyncio.AbstractEventLoop, part: list[_Waiting], done: Future[list[JobResult]]
) -> None:
    """Pool thread -> event loop: resolve ``part`` there (futures are not thread-safe)."""
    with suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
        loop.call_soon_threadsafe(_resolve, part, done)


def _resolve(
    part: Sequence[_Waiting],
    done: Future[list[JobResult]],
) -> None:
    if done.cancelled():
        _fail(part, asyncio.CancelledError())
        return
    exc = done.exception()
    if exc is not None:
        _fail(part, exc)
        return
    for (_, waiter), result in zip(part, done.result(), strict=True):
        if waiter.done():
            continue  # its scan timed out and stopped waiting
        if isinstance(result, BaseException):
            waiter.set_exception(result)
        else:
            waiter.set_result(result)
