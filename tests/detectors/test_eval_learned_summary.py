"""The learned-detector figures published to ``detection.json`` and the README."""

from __future__ import annotations

from typing import Any

from bench.eval_learned import markdown, summary


def _result() -> dict[str, Any]:
    return {
        "artifact": {"version": "test"},
        "latency": {"ms_per_kb_median": 4.0, "ms_per_kb_p90": 5.0, "texts": 3},
        "shipped": {"rates": {"advbench": {"n": 50, "any": 0.95}, "gsm8k": {"n": 40, "any": 0.0}}},
        "lodo": {"rates": {"advbench": {"n": 520, "any": 0.7}, "gsm8k": {"n": 2000, "any": 0.005}}},
    }


def test_targets_are_judged_on_the_lodo_rate_not_the_shipped_one() -> None:
    advbench = summary(_result())["subsets"]["advbench"]
    assert advbench["shipped"] == 0.95
    assert advbench["lodo"] == 0.7
    assert advbench["target_met"] is False


def test_a_benign_set_meets_its_false_positive_bound() -> None:
    assert summary(_result())["subsets"]["gsm8k"]["target_met"] is True


def test_the_readme_table_has_one_row_per_subset_with_its_verdict() -> None:
    table = markdown(summary(_result()))
    assert "| advbench | 520 | 0.7 | 0.95 | >= 0.9 MISSED |" in table
    assert "| gsm8k | 2000 | 0.005 | 0.0 | <= 0.01 met |" in table
    assert "4.0 ms/KB median" in table


def test_a_set_never_trained_on_is_judged_on_the_shipped_rate() -> None:
    result = _result()
    result["shipped"]["rates"]["alpaca_sample"] = {"n": 4000, "any": 0.003}
    entry = summary(result)["subsets"]["alpaca_sample"]
    assert entry["lodo"] is None
    assert entry["target_met"] is True
