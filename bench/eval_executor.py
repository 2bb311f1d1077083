"""Where should presidio run? Event-loop responsiveness: inline vs threads vs processes.

presidio's analysis is pure Python and holds the GIL. A ticker coroutine that
asks to wake every 2 ms measures how late the loop runs it while a burst of
PII scans is in flight; we compare running the detector inline on the loop
(the baseline), on a thread pool and on a process pool.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from detectors import DetectorSet, Finding
from detectors.pii import PiiDetector

__all__ = ["measure_executors"]

_TICK_S = 0.002


class _InlinePii(PiiDetector):
    """The PII detector flagged as cheap, so the runner calls it on the loop."""

    cpu_heavy = False


def _texts(n: int, kb: int) -> list[str]:
    line = (
        "Customer {i} wrote: please update my card 4111 1111 1111 1111 and reach me at "
        "jane.{i}@example.com or call 415-555-01{j:02d}; the weather was fine today. "
    )
    out = []
    for i in range(n):
        text = ""
        while len(text) < kb * 1024:
            text += line.format(i=i, j=len(text) % 100)
        out.append(text)
    return out


async def _burst(ds: DetectorSet, texts: list[str]) -> dict[str, float]:
    lags: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            t = time.perf_counter()
            await asyncio.sleep(_TICK_S)
            lags.append((time.perf_counter() - t - _TICK_S) * 1000)

    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    t0 = time.perf_counter()
    results = await asyncio.gather(*(ds.scan(t, ["pii"]) for t in texts))
    wall = time.perf_counter() - t0
    stop.set()
    await tick
    found: list[Finding] = [f for r in results for f in r.findings]
    lags.sort()
    return {
        "wall_s": round(wall, 3),
        "loop_lag_p50_ms": round(statistics.median(lags), 2),
        "loop_lag_p99_ms": round(lags[int(0.99 * (len(lags) - 1))], 2),
        "loop_lag_max_ms": round(lags[-1], 2),
        "ticks": len(lags),
        "findings": len(found),
    }


def _median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]}


def _typical(n: int) -> list[str]:
    from bench.eval_cost import _documents, _plant_pii

    return [_plant_pii(d, k) for k, d in enumerate(_documents(n, size=3000))]


def measure_executors(workers: int = 2, rounds: int = 3) -> dict[str, Any]:
    """Loop lag and wall time for bursts of PII scans, inline vs threads vs processes.

    Two bursts: ``typical`` (96 benign prompts of ~3 KB with an e-mail, phone
    and card planted per KB) and ``dense`` (48 x 8 KB of contact records,
    ~170 entities each). Each figure is the median over ``rounds`` bursts
    (the machine is shared, so single runs are noisy).
    """
    out: dict[str, Any] = {"workers": workers, "rounds": rounds}
    for scenario, texts in (("typical", _typical(96)), ("dense", _texts(48, 8))):
        res: dict[str, Any] = {"texts": len(texts), "kb_total": sum(len(t) for t in texts) // 1024}
        setups: dict[str, DetectorSet] = {
            "inline": DetectorSet(
                {"pii": _InlinePii()}, cache_size=0, executor="thread", timeout_s=120
            ),
            "thread": DetectorSet(
                {"pii": PiiDetector()},
                cache_size=0,
                workers=workers,
                executor="thread",
                timeout_s=120,
            ),
            "process": DetectorSet(
                {"pii": PiiDetector()},
                cache_size=0,
                workers=workers,
                executor="process",
                timeout_s=120,
            ),
        }
        for name, ds in setups.items():
            ds.warmup()
            res[name] = _median_of([asyncio.run(_burst(ds, texts)) for _ in range(rounds)])
            ds.close()
        out[scenario] = res
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(measure_executors(), indent=2))
