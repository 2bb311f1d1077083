"""The benchmark harness's CPU accounting over a process tree (Linux ``/proc``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bench._harness import cpu_seconds, descendants, thread_sched, tree_cpu, tree_cpu_seconds

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")

BURN = 0.3  # CPU seconds the grandchild burns before it reports
# The child starts a grandchild that burns BURN s of CPU (measured by its own
# clock, so it is CPU, not wall time), then either keeps it alive or waits for
# it to exit (reaps it); then the child reports and blocks on stdin.
CHILD = f"""
import subprocess, sys
grand = subprocess.Popen([sys.executable, "-c", '''
import sys, time
while time.process_time() < {BURN}:
    pass
print("burnt", flush=True)
if sys.argv[1] == "stay":
    sys.stdin.read()
''', sys.argv[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
assert grand.stdout is not None
grand.stdout.readline()
if sys.argv[1] == "exit":
    grand.wait()
print(grand.pid, flush=True)
sys.stdin.read()
if grand.stdin is not None:
    grand.stdin.close()
grand.wait()
"""


@contextmanager
def _child(mode: str) -> Iterator[tuple[int, int]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        grand = int(proc.stdout.readline())
        yield proc.pid, grand
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


def test_live_descendants_cpu_is_counted() -> None:
    with _child("stay") as (pid, grand):
        assert grand in descendants(pid)
        per_process = tree_cpu(pid)
        assert set(per_process) >= {pid, grand}
        assert per_process[grand] >= BURN - 0.02  # clock-tick granularity
        assert tree_cpu_seconds(pid) - cpu_seconds(pid) >= BURN - 0.02


def test_reaped_descendants_cpu_stays_counted() -> None:
    with _child("exit") as (pid, grand):
        assert grand not in descendants(pid)
        # The exited grandchild's time now sits in the child's cutime/cstime.
        assert tree_cpu_seconds(pid) - cpu_seconds(pid) >= BURN - 0.02


def test_descendants_of_a_leaf_is_empty() -> None:
    with _child("exit") as (pid, _):
        assert descendants(pid) == []


def test_thread_sched_counts_this_threads_cpu() -> None:
    run0, wait0 = thread_sched(os.getpid())
    start = time.thread_time()
    while time.thread_time() - start < 0.1:
        pass
    run1, wait1 = thread_sched(os.getpid())
    assert run1 - run0 >= 0.09
    assert wait1 >= wait0 >= 0.0
