"""Screening cost: milliseconds per KB, and the re-screened conversation demo.

Latency is the median over documents of ``scan_sync`` time divided by size,
with the cache off and detectors run in the calling thread (``scan_sync``
with ``executor="thread"``), for the detectors a policy typically runs on input
(pii, secrets, obfuscation). Documents are benign prompts concatenated to
~2 KB; the "with PII" set plants an e-mail, a phone number and a card number
per KB. The baseline, measured in the same run, is normalisation alone
(the runner's fixed cost per byte).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench.eval_data import benign_texts
from detectors import DetectorSet
from detectors.normalize import normalize

__all__ = ["conversation_demo", "latency"]

NAMES = ("pii", "secrets", "obfuscation")
FAST_PATH_TARGET_MS_PER_KB = 2.0
WITH_PII_TARGET_MS_PER_KB = 5.0


def _documents(n: int, size: int = 2048) -> list[str]:
    pool = [t for ts in benign_texts(400).values() for t in ts]
    docs: list[str] = []
    i = 0
    while len(docs) < n:
        doc = ""
        while len(doc) < size:
            doc += pool[i % len(pool)] + "\n"
            i += 1
        docs.append(doc)
    return docs


def _plant_pii(doc: str, k: int) -> str:
    planted = (
        f" Contact me at jordan.lee{k}@example.org or call 415-555-01{k % 100:02d};"
        f" my card is 4111 1111 1111 1111. "
    )
    step = 1024
    return "".join(doc[i : i + step] + planted for i in range(0, len(doc), step))


def _ms_per_kb(ds: DetectorSet, docs: list[str], repeats: int = 3) -> float:
    rates: list[float] = []
    for doc in docs:
        best = float("inf")
        for _ in range(repeats):  # best-of: filters scheduler noise on a shared machine
            t = time.perf_counter()
            ds.scan_sync(doc, NAMES)
            best = min(best, time.perf_counter() - t)
        rates.append(best * 1000 / (len(doc.encode()) / 1024))
    return round(statistics.median(rates), 3)


def latency(n_docs: int = 30) -> dict[str, Any]:
    """Median ms/KB without and with planted PII, and the normalisation baseline."""
    docs = _documents(n_docs)
    with_pii = [_plant_pii(d, k) for k, d in enumerate(docs)]
    ds = DetectorSet.from_config({n: {} for n in NAMES}, executor="thread", cache_size=0)
    ds.warmup()
    base: list[float] = []
    for doc in docs:
        t = time.perf_counter()
        normalize(doc)
        base.append((time.perf_counter() - t) * 1000 / (len(doc.encode()) / 1024))
    no_pii = _ms_per_kb(ds, docs)
    pii = _ms_per_kb(ds, with_pii)
    baseline = round(statistics.median(base), 4)
    ds.close()
    return {
        "detectors": list(NAMES),
        "documents": n_docs,
        "doc_kb": round(statistics.median(len(d.encode()) for d in docs) / 1024, 2),
        "no_pii_ms_per_kb_median": no_pii,
        "with_pii_ms_per_kb_median": pii,
        "baseline_normalize_ms_per_kb_median": baseline,
        "targets": {
            "no_pii_ms_per_kb": FAST_PATH_TARGET_MS_PER_KB,
            "with_pii_ms_per_kb": WITH_PII_TARGET_MS_PER_KB,
        },
        "target_met": no_pii <= FAST_PATH_TARGET_MS_PER_KB and pii <= WITH_PII_TARGET_MS_PER_KB,
    }


def conversation_demo(turns: int = 20) -> dict[str, Any]:
    """Re-screen a growing conversation every turn, with and without the cache."""
    pool = [t for t in benign_texts(200)["hh_rlhf_helpful"] if len(t) > 60]
    messages = [pool[i] for i in range(turns)]
    messages[turns // 2] += " (my email is sam.rivera@example.net)"
    out: dict[str, Any] = {"turns": turns, "detectors": list(NAMES)}
    for label, cache_size in (("cached", 8192), ("uncached", 0)):
        ds = DetectorSet.from_config(
            {n: {} for n in NAMES}, executor="thread", cache_size=cache_size
        )
        ds.warmup()
        runs: list[int] = []
        t = time.perf_counter()
        for turn in range(1, turns + 1):
            runs.append(sum(ds.scan_sync(m, NAMES).runs for m in messages[:turn]))
        out[label] = {
            "detector_runs_total": sum(runs),
            "detector_runs_last_turn": runs[-1],
            "seconds_total": round(time.perf_counter() - t, 4),
        }
        ds.close()
    out["runs_ratio_uncached_over_cached"] = round(
        out["uncached"]["detector_runs_total"] / out["cached"]["detector_runs_total"], 2
    )
    return out
