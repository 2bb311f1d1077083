"""False-positive (flag) rates of the PII, secrets and obfuscation detectors on benign sets.

A row is flagged by a detector when it reports any finding at or above the
detector's configured threshold. Benign prompts can hold genuine PII (a
user pasting an address), so the PII rate is an upper bound on its FP rate.
"""

from __future__ import annotations

from typing import Any

from bench.eval_data import benign_texts
from detectors import DetectorSet

__all__ = ["evaluate_benign"]

NAMES = ("pii", "secrets", "obfuscation")


def evaluate_benign(limit: int | None = None) -> dict[str, Any]:
    """Per dataset and detector: rows and the share of rows flagged."""
    ds = DetectorSet.from_config({n: {} for n in NAMES}, executor="thread", cache_size=0)
    ds.warmup()
    out: dict[str, Any] = {}
    total = dict.fromkeys(NAMES, 0)
    rows_total = 0
    for name, texts in benign_texts(limit).items():
        flagged = dict.fromkeys(NAMES, 0)
        for text in texts:
            result = ds.scan_sync(text, NAMES)
            for det in {f.detector for f in result.findings}:
                flagged[det] += 1
        out[name] = {"rows": len(texts)} | {
            f"{d}_flag_rate": round(flagged[d] / len(texts), 4) for d in NAMES
        }
        rows_total += len(texts)
        for d in NAMES:
            total[d] += flagged[d]
    out["all"] = {"rows": rows_total} | {
        f"{d}_flag_rate": round(total[d] / rows_total, 4) for d in NAMES
    }
    ds.close()
    return out
