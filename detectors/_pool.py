"""Where the CPU-heavy detectors run: a process (or thread) pool owned by one runner.

:class:`DetectorPool` starts its executor lazily, warms every worker before
the runner reports ready, hands event-loop jobs to worker processes in
batches (:class:`~detectors._batch.PoolBatcher`), and replaces a pool whose
worker died. Processes are started with ``spawn``: the parent runs threads
(the event loop, executors), which ``fork`` would copy half-way through.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Literal

from detectors._base import Detector, Finding
from detectors._batch import PoolBatcher
from detectors._work import PreparedChunk, init_worker, worker_detect_batch, worker_detect_chunk

__all__ = ["DetectorPool", "ExecutorKind"]

ExecutorKind = Literal["thread", "process"]


class DetectorPool:
    """The executor for ``heavy`` detectors: ``workers`` processes or threads.

    With processes each worker builds its own copies of the detectors
    (:func:`~detectors._work.init_worker`) and jobs name them; with threads
    jobs are plain calls into the parent's detectors.
    """

    def __init__(self, heavy: Mapping[str, Detector], *, kind: ExecutorKind, workers: int) -> None:
        self.kind: ExecutorKind = kind
        self.workers = max(1, workers)
        self._heavy = dict(heavy)
        self._pool: Executor | None = None
        self._batcher: PoolBatcher | None = None

    def warm(self) -> None:
        """Start every worker now (each one loads and warms its detectors)."""
        pool = self._executor()
        for fut in [pool.submit(time.sleep, 0.05) for _ in range(self.workers)]:
            fut.result()

    def submit(
        self,
        name: str,
        chunk: PreparedChunk,
        call: Callable[[], tuple[Finding, ...]],
    ) -> Future[tuple[Finding, ...]]:
        """Run one job: detector ``name`` on ``chunk`` (``call`` runs it in a thread pool)."""
        pool = self._executor()
        if self.kind == "process":
            return pool.submit(worker_detect_chunk, name, chunk)
        return pool.submit(call)

    def dispatch(
        self,
        name: str,
        chunk: PreparedChunk,
        call: Callable[[], tuple[Finding, ...]],
    ) -> asyncio.Future[tuple[Finding, ...]]:
        """:meth:`submit` from the event loop.

        Worker processes get the jobs of one loop turn in a few batches:
        per-job hand-offs cost more than short stream windows take to scan.
        """
        if self.kind != "process":
            return asyncio.wrap_future(self.submit(name, chunk, call))
        if self._batcher is None:
            self._batcher = PoolBatcher(
                lambda jobs: self._executor().submit(worker_detect_batch, jobs),
                parts=self.workers,
            )
        return self._batcher.run(name, chunk)

    def drop(self) -> None:
        """Forget a broken pool (a worker crashed or was killed): the next job starts a new one."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the workers; pending work is cancelled. Blocks until they exit."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _executor(self) -> Executor:
        if self._pool is None:
            if self.kind == "process":
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=init_worker,
                    initargs=(self._heavy,),
                )
            else:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="detector")
        return self._pool
