"""The heavy detectors' pool: jobs run in workers, a dropped pool is replaced."""

from __future__ import annotations

from detectors import Finding
from detectors._pool import DetectorPool
from detectors._work import prepare
from tests.detectors._fakes import CountingDetector


def _heavy() -> dict[str, CountingDetector]:
    return {"counting": CountingDetector(cpu_heavy=True)}


def test_a_process_job_runs_the_workers_copy_of_the_detector() -> None:
    pool = DetectorPool(_heavy(), kind="process", workers=1)
    try:
        found = pool.submit("counting", prepare("a secret here", False), lambda: ()).result(30)
    finally:
        pool.close()
    assert [(f.kind, f.start, f.end) for f in found] == [("test.word", 2, 8)]


def test_a_thread_job_is_the_given_call() -> None:
    pool = DetectorPool(_heavy(), kind="thread", workers=1)
    marker = (Finding("test.word", 1.0, 0, 1),)
    try:
        assert pool.submit("counting", prepare("x", False), lambda: marker).result(5) is marker
    finally:
        pool.close()


def test_after_drop_the_next_job_gets_a_fresh_pool() -> None:
    pool = DetectorPool(_heavy(), kind="thread", workers=1)
    try:
        pool.submit("counting", prepare("x", False), lambda: ()).result(5)
        pool.drop()
        assert pool.submit("counting", prepare("x", False), lambda: ()).result(5) == ()
    finally:
        pool.close()
