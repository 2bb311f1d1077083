"""The detection benchmark's quick slice meets the issue's quality targets.

Runs the same code as ``python bench/eval.py --quick`` on the labelled data in
``shared/data``; timings are measured there but never asserted here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench import eval as bench_eval
from bench.eval_benign import evaluate_benign
from bench.eval_cost import conversation_demo
from bench.eval_pii import TARGET_ENTITIES, evaluate_pii
from bench.eval_secrets import evaluate_secrets


@pytest.fixture(scope="module")
def pii() -> dict[str, Any]:
    return evaluate_pii()


@pytest.mark.parametrize("entity", TARGET_ENTITIES)
def test_pii_entity_meets_recall_and_precision(pii: dict[str, Any], entity: str) -> None:
    e = pii["entities"][entity]
    assert e["recall"] >= 0.95, e
    assert e["precision"] >= 0.90, e


def test_secrets_meet_tp_and_fp_targets() -> None:
    s = evaluate_secrets()
    assert s["tp_rate"] >= 0.95
    assert s["fp_rate"] <= 0.10


def test_benign_flag_rates_are_low() -> None:
    rates = evaluate_benign(limit=100)["all"]
    assert rates["pii_flag_rate"] <= 0.01
    assert rates["secrets_flag_rate"] <= 0.01
    assert rates["obfuscation_flag_rate"] <= 0.01


def test_rescreened_conversation_runs_each_message_once() -> None:
    demo = conversation_demo(turns=20)
    per_message = len(demo["detectors"])
    assert demo["cached"]["detector_runs_total"] == 20 * per_message
    assert demo["cached"]["detector_runs_last_turn"] == per_message
    assert demo["uncached"]["detector_runs_total"] == sum(range(1, 21)) * per_message


def test_markdown_and_merge_keep_other_sections(tmp_path: Path, pii: dict[str, Any]) -> None:
    out = tmp_path / "detection.json"
    out.write_text('{"injection": {"recall": 0.9}}')
    sections = {
        "pii": pii,
        "secrets": evaluate_secrets(),
        "benign_fp": evaluate_benign(limit=5),
        "latency": {
            "no_pii_ms_per_kb_median": 1.0,
            "with_pii_ms_per_kb_median": 2.0,
            "baseline_normalize_ms_per_kb_median": 0.001,
            "target_met": True,
        },
        "conversation": conversation_demo(turns=3),
    }
    bench_eval.write(sections, out)
    merged = out.read_text()
    assert '"injection"' in merged and '"pii"' in merged
    assert "| EMAIL_ADDRESS |" in bench_eval.markdown(sections)
