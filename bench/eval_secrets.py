"""Secrets detector on gitleaks' rule examples: TP found, FP flagged.

Each ``true_positive`` row holds a (fake) secret: found when the detector
reports any ``secret.*`` finding in it. Each ``false_positive`` row is a
look-alike a gitleaks rule must not flag: flagged when the detector reports
anything at all (a strict reading: some rows hold a real-looking key of
another provider, e.g. GCP keys on gitleaks' allow-list of public samples).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from bench.eval_data import data_dir, read_jsonl
from detectors.secrets import SecretsDetector

__all__ = ["evaluate_secrets"]

TP_TARGET = 0.95
FP_TARGET = 0.10


def evaluate_secrets(limit: int | None = None) -> dict[str, Any]:
    """Rates overall and the rules with misses or flags."""
    path = data_dir() / "gitleaks_rule_examples" / "gitleaks_rule_examples.jsonl"
    rows = list(read_jsonl(path))
    rows = rows[:limit] if limit else rows
    det = SecretsDetector()
    found = flagged = n_tp = n_fp = 0
    missed: Counter[str] = Counter()
    flags: Counter[str] = Counter()
    for row in rows:
        hit = bool(det.detect(row["text"]))
        if row["label"] == "true_positive":
            n_tp += 1
            found += hit
            if not hit:
                missed[row["rule_id"]] += 1
        else:
            n_fp += 1
            flagged += hit
            if hit:
                flags[row["rule_id"]] += 1
    tp_rate = found / n_tp if n_tp else 1.0
    fp_rate = flagged / n_fp if n_fp else 0.0
    return {
        "dataset": "gitleaks_rule_examples/gitleaks_rule_examples.jsonl",
        "rows": len(rows),
        "tp_total": n_tp,
        "tp_found": found,
        "tp_rate": round(tp_rate, 4),
        "fp_total": n_fp,
        "fp_flagged": flagged,
        "fp_rate": round(fp_rate, 4),
        "targets": {"tp_rate": TP_TARGET, "fp_rate": FP_TARGET},
        "target_met": tp_rate >= TP_TARGET and fp_rate <= FP_TARGET,
        "missed_by_rule": dict(missed.most_common()),
        "flagged_by_rule": dict(flags.most_common()),
    }
