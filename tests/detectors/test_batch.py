"""PoolBatcher: the jobs of one event-loop turn go to the pool in a few batches."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future

import pytest

from detectors import DetectorSet
from detectors._base import Finding
from detectors._batch import PoolBatcher
from detectors._work import Job, JobResult, PreparedChunk, detect_chunk, prepare
from tests.detectors._fakes import CountingDetector, FailingDetector

DETECTORS = {"counting": CountingDetector("secret"), "failing": FailingDetector()}


class _Pool:
    """Runs each batch at once, in the calling thread; records the batch sizes."""

    def __init__(self, *, broken: bool = False) -> None:
        self.batches: list[int] = []
        self.broken = broken

    def submit(self, jobs: list[Job]) -> Future[list[JobResult]]:
        if self.broken:
            raise RuntimeError("cannot schedule new futures after shutdown")
        self.batches.append(len(jobs))
        results: list[JobResult] = []
        for name, chunk in jobs:
            try:
                results.append(detect_chunk(name, DETECTORS[name], chunk))  # type: ignore[arg-type]
            except Exception as exc:
                results.append(exc)
        done: Future[list[JobResult]] = Future()
        done.set_result(results)
        return done


def _chunk(text: str) -> PreparedChunk:
    return prepare(text, decode=False)


async def test_one_turns_jobs_go_out_in_one_batch_per_part() -> None:
    pool = _Pool()
    batcher = PoolBatcher(pool.submit, parts=2)
    waiters = [batcher.run("counting", _chunk(f"the secret {i}")) for i in range(10)]
    found = await asyncio.gather(*waiters)
    assert pool.batches == [5, 5]
    assert all(len(f) == 1 and f[0].kind == "test.word" for f in found)


async def test_jobs_of_concurrent_tasks_share_a_batch() -> None:
    pool = _Pool()
    batcher = PoolBatcher(pool.submit, parts=1)

    async def scan(text: str) -> tuple[Finding, ...]:
        return await batcher.run("counting", _chunk(text))

    results = await asyncio.gather(*(scan(f"secret number {i}") for i in range(6)))
    assert pool.batches == [6]
    assert [r[0].start for r in results] == [0] * 6


async def test_a_full_batch_is_sent_without_waiting_for_the_turn_to_end() -> None:
    pool = _Pool()
    batcher = PoolBatcher(pool.submit, parts=1, max_batch=3)
    waiters = [batcher.run("counting", _chunk("secret")) for _ in range(7)]
    await asyncio.gather(*waiters)
    assert pool.batches == [3, 3, 1]


async def test_a_failing_job_fails_alone() -> None:
    batcher = PoolBatcher(_Pool().submit, parts=1)
    good = batcher.run("counting", _chunk("a secret"))
    bad = batcher.run("failing", _chunk("a secret"))
    assert len(await good) == 1
    with pytest.raises(RuntimeError):
        await bad


async def test_a_cancelled_waiter_does_not_disturb_the_others() -> None:
    batcher = PoolBatcher(_Pool().submit, parts=1)
    gone = batcher.run("counting", _chunk("secret"))
    kept = batcher.run("counting", _chunk("secret"))
    gone.cancel()
    assert len(await kept) == 1
    assert gone.cancelled()


async def test_a_pool_that_refuses_work_fails_every_waiter() -> None:
    batcher = PoolBatcher(_Pool(broken=True).submit, parts=1)
    waiters = [batcher.run("counting", _chunk("secret")) for _ in range(3)]
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)


async def test_worker_processes_answer_concurrent_scans_through_batches() -> None:
    heavy = CountingDetector("secret", cpu_heavy=True)
    ds = DetectorSet({"counting": heavy}, executor="process", workers=2, cache_size=0)
    try:
        await asyncio.to_thread(ds.warmup)
        texts = [f"window {i} holds a secret here" for i in range(12)]
        results = await asyncio.gather(*(ds.scan(t, ["counting"]) for t in texts))
        assert [len(r.findings) for r in results] == [1] * 12
        assert all(r.failed == {} for r in results)
        starts = [r.findings[0].start for r in results]
        assert starts == [t.index("secret") for t in texts]
    finally:
        await ds.aclose()
