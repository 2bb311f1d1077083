"""PII span precision/recall per entity on presidio's synthetic dataset.

Gold spans come from ``presidio_synth_pii/synth_dataset_v2.json``
(``spans[].entity_type/start_position/end_position``, character offsets into
``full_text``, end exclusive). A prediction counts as a true positive when it
has the gold entity type and overlaps a gold span not already matched (the
usual span-overlap convention for redaction: an overlapping redaction hides
the value); ``exact`` additionally counts predictions with identical bounds.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from bench.eval_data import data_dir
from detectors.pii import PiiDetector

__all__ = ["TARGET_ENTITIES", "evaluate_pii"]

#: Pattern entities with targets: recall >= 0.95 and precision >= 0.90 each.
TARGET_ENTITIES = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "US_SSN",
    "IBAN_CODE",
    "IP_ADDRESS",
)
RECALL_TARGET = 0.95
PRECISION_TARGET = 0.90


def evaluate_pii(limit: int | None = None) -> dict[str, Any]:
    """Per-entity counts, precision, recall and whether the targets hold."""
    rows = json.loads((data_dir() / "presidio_synth_pii" / "synth_dataset_v2.json").read_text())
    rows = rows[:limit] if limit else rows
    det = PiiDetector({"entities": list(TARGET_ENTITIES)})
    det.warmup()
    tp, fp, fn, exact = Counter[str](), Counter[str](), Counter[str](), Counter[str]()
    for row in rows:
        text = row["full_text"]
        gold = [
            (s["entity_type"], s["start_position"], s["end_position"])
            for s in row["spans"]
            if s["entity_type"] in TARGET_ENTITIES
        ]
        preds = [(f.kind.removeprefix("pii."), f.start, f.end) for f in det.detect(text)]
        used: set[int] = set()
        for g_type, g_start, g_end in gold:
            match = next(
                (
                    i
                    for i, (p_type, p_start, p_end) in enumerate(preds)
                    if i not in used and p_type == g_type and p_start < g_end and g_start < p_end
                ),
                None,
            )
            if match is None:
                fn[g_type] += 1
                continue
            used.add(match)
            tp[g_type] += 1
            exact[g_type] += preds[match][1:] == (g_start, g_end)
        for i, (p_type, _, _) in enumerate(preds):
            if i not in used:
                fp[p_type] += 1
    per_entity: dict[str, Any] = {}
    for e in TARGET_ENTITIES:
        precision = tp[e] / (tp[e] + fp[e]) if tp[e] + fp[e] else 1.0
        recall = tp[e] / (tp[e] + fn[e]) if tp[e] + fn[e] else 1.0
        per_entity[e] = {
            "gold": tp[e] + fn[e],
            "tp": tp[e],
            "fp": fp[e],
            "fn": fn[e],
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "exact_boundary_recall": round(exact[e] / (tp[e] + fn[e]), 4) if tp[e] + fn[e] else 1.0,
            "target_met": recall >= RECALL_TARGET and precision >= PRECISION_TARGET,
        }
    return {
        "dataset": "presidio_synth_pii/synth_dataset_v2.json",
        "rows": len(rows),
        "matching": "same entity type and overlapping span, one prediction per gold span",
        "targets": {"recall": RECALL_TARGET, "precision": PRECISION_TARGET},
        "entities": per_entity,
    }
