"""Shared benchmark plumbing: start processes on loopback, drive load, summarise.

Every benchmark compares variants measured in the same run, interleaved over
rounds, and reports medians and ratios (these machines are noisy).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_http(url: str, timeout: float = 20.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def process(
    args: Sequence[str], ready_url: str, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TOLLGATE_")}
    full_env.update(env or {})
    full_env.setdefault("PYTHONPATH", str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(ready_url, timeout=90)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(q * len(data)))]


async def _load(
    url: str, body: dict[str, Any], concurrency: int, seconds: float, stream: bool
) -> LoadResult:
    latencies: list[float] = []
    errors = 0
    payload = json.dumps(body).encode()
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                try:
                    async with http.post(
                        url, data=payload, headers={"content-type": "application/json"}
                    ) as resp:
                        if stream:
                            async for _ in resp.content.iter_any():
                                pass
                        else:
                            await resp.read()
                        if resp.status != 200:
                            errors += 1
                            continue
                except aiohttp.ClientError:
                    errors += 1
                    continue
                latencies.append((time.perf_counter() - t0) * 1000)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return LoadResult(len(latencies), errors, elapsed, latencies)


def load(
    url: str, body: dict[str, Any], concurrency: int, seconds: float, stream: bool
) -> LoadResult:
    """Drive ``url`` with ``concurrency`` clients for ``seconds``."""
    return asyncio.run(_load(url, body, concurrency, seconds, stream))


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of ``/proc/<pid>/stat`` after the command name (index 0 is the state)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return raw.rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (Linux ``/proc``; children excluded)."""
    fields = _stat_fields(pid)
    if fields is None:
        raise ProcessLookupError(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Pids of every live descendant of ``pid`` (children, their children, ...).

    Built from the parent pid in each ``/proc/<n>/stat``, so it does not
    depend on the kernel's optional ``task/*/children`` files.
    """
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) per process of the tree rooted at ``pid``.

    Each process counts its own time plus that of its already reaped
    children (``cutime``/``cstime``), so a worker that exits and is waited
    for keeps counting, under its parent. Processes that vanish while the
    tree is read are skipped. Take the difference of two calls' sums to get
    the CPU spent in a window: the sum only grows while the tree's members
    are reaped by members of the tree.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    out: dict[int, float] = {}
    for member in (pid, *descendants(pid)):
        fields = _stat_fields(member)
        if fields is not None:
            out[member] = sum(int(f) for f in fields[11:15]) / ticks
    return out


def tree_cpu_seconds(pid: int) -> float:
    """Total CPU seconds of ``pid`` and all its descendants (see :func:`tree_cpu`)."""
    return sum(tree_cpu(pid).values())


def thread_sched(pid: int, tid: int | None = None) -> tuple[float, float]:
    """``(running, waiting)`` seconds of one thread so far (default: the main thread).

    From ``/proc/<pid>/task/<tid>/schedstat``: time on a CPU, and time runnable
    but waiting in the run queue. Their sum over a window, divided by the
    window, is the share of the time the thread wanted a CPU: near 1 means it
    is CPU-bound (and, if the waiting part is large, starved by other load).
    """
    raw = Path(f"/proc/{pid}/task/{tid or pid}/schedstat").read_text().split()
    return int(raw[0]) / 1e9, int(raw[1]) / 1e9


def median_of(rounds: list[LoadResult], metric: Callable[[LoadResult], float]) -> float:
    return statistics.median(metric(r) for r in rounds)


def write_results(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return path


def update_readme(marker: str, table: str) -> None:
    """Replace the README block between ``<!-- marker -->`` and ``<!-- /marker -->``."""
    readme = ROOT / "README.md"
    text = readme.read_text()
    start, end = f"<!-- {marker} -->", f"<!-- /{marker} -->"
    if start not in text or end not in text:
        return
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    readme.write_text(f"{head}{start}\n{table.rstrip()}\n{end}{tail}")
