"""Detection benchmark: ``python bench/eval.py [--quick] [--no-write]``.

Runs the PII, secrets and obfuscation detectors over the labelled sets in
``shared/data`` and measures cost, then merges its sections into
``bench/results/detection.json`` (other sections, written by other
benchmarks, are kept) and prints a markdown summary.

Sections: ``pii`` (span precision/recall per entity), ``secrets`` (gitleaks
examples), ``benign_fp`` (flag rates on benign sets), ``latency`` (ms per KB),
``conversation`` (20-turn re-screen, cached vs uncached) and, in full runs,
``executor`` (event-loop lag: inline vs threads vs processes).
``--quick`` is a fixed small slice that finishes in seconds.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

_BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(_BENCH.parent))  # this checkout's packages win over installed ones

from bench.eval_benign import evaluate_benign  # noqa: E402
from bench.eval_cost import conversation_demo, latency  # noqa: E402
from bench.eval_pii import evaluate_pii  # noqa: E402
from bench.eval_secrets import evaluate_secrets  # noqa: E402

RESULTS = _BENCH / "results" / "detection.json"


def run(quick: bool) -> dict[str, Any]:
    """All sections of this benchmark (the quick slice when ``quick``)."""
    started = time.perf_counter()
    sections: dict[str, Any] = {
        "pii": evaluate_pii(),  # the whole set takes ~1 s
        "secrets": evaluate_secrets(),
        "benign_fp": evaluate_benign(limit=150 if quick else None),
        "latency": latency(n_docs=10 if quick else 40),
        "conversation": conversation_demo(turns=20),
    }
    if not quick:
        from bench.eval_executor import measure_executors

        sections["executor"] = measure_executors()
    sections["detection_meta"] = {
        "quick": quick,
        "seconds": round(time.perf_counter() - started, 1),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
    }
    return sections


def write(sections: dict[str, Any], path: Path = RESULTS) -> None:
    """Merge ``sections`` into the results file, keeping other benchmarks' keys."""
    existing: dict[str, Any] = {}
    if path.exists():
        existing = json.loads(path.read_text(encoding="utf-8"))
    existing.update(sections)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def markdown(s: dict[str, Any]) -> str:
    """A readable summary of the sections."""
    lines = ["## PII (presidio_synth_pii, span overlap)", ""]
    lines += ["| entity | gold | precision | recall | exact-bounds recall | target |"]
    lines += ["|---|---|---|---|---|---|"]
    for name, e in s["pii"]["entities"].items():
        ok = "met" if e["target_met"] else "MISSED"
        lines.append(
            f"| {name} | {e['gold']} | {e['precision']:.3f} | {e['recall']:.3f} "
            f"| {e['exact_boundary_recall']:.3f} | {ok} |"
        )
    sec = s["secrets"]
    lines += ["", "## Secrets (gitleaks rule examples)", ""]
    lines += ["| TP found | FP flagged | target (>=0.95 / <=0.10) |", "|---|---|---|"]
    lines.append(
        f"| {sec['tp_found']}/{sec['tp_total']} = {sec['tp_rate']:.3f} "
        f"| {sec['fp_flagged']}/{sec['fp_total']} = {sec['fp_rate']:.3f} "
        f"| {'met' if sec['target_met'] else 'MISSED'} |"
    )
    lines += ["", "## Flag rate on benign sets", ""]
    lines += ["| dataset | rows | pii | secrets | obfuscation |", "|---|---|---|---|---|"]
    for name, b in s["benign_fp"].items():
        lines.append(
            f"| {name} | {b['rows']} | {b['pii_flag_rate']:.4f} | {b['secrets_flag_rate']:.4f} "
            f"| {b['obfuscation_flag_rate']:.4f} |"
        )
    lat = s["latency"]
    lines += ["", "## Cost (median ms per KB, cache off, pii+secrets+obfuscation)", ""]
    lines += ["| no PII | with PII | normalise-only baseline | target (2 / 5) |"]
    lines += ["|---|---|---|---|"]
    lines.append(
        f"| {lat['no_pii_ms_per_kb_median']} | {lat['with_pii_ms_per_kb_median']} "
        f"| {lat['baseline_normalize_ms_per_kb_median']} "
        f"| {'met' if lat['target_met'] else 'MISSED'} |"
    )
    conv = s["conversation"]
    lines += ["", f"## {conv['turns']}-turn conversation re-screened every turn", ""]
    lines += ["| | detector runs | runs in last turn | seconds |", "|---|---|---|---|"]
    for label in ("cached", "uncached"):
        c = conv[label]
        lines.append(
            f"| {label} | {c['detector_runs_total']} | {c['detector_runs_last_turn']} "
            f"| {c['seconds_total']} |"
        )
    if "executor" in s:
        ex = s["executor"]
        lines += ["", f"## Event-loop lag during bursts of PII scans ({ex['workers']} workers)", ""]
        lines += ["| burst | executor | wall s | lag p50 ms | lag p99 ms | lag max ms |"]
        lines += ["|---|---|---|---|---|---|"]
        for scenario in ("typical", "dense"):
            for label in ("inline", "thread", "process"):
                r = ex[scenario][label]
                lines.append(
                    f"| {scenario} ({ex[scenario]['texts']} texts) | {label} | {r['wall_s']} "
                    f"| {r['loop_lag_p50_ms']} | {r['loop_lag_p99_ms']} | {r['loop_lag_max_ms']} |"
                )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run, write and print; exit status 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small fixed slice (seconds)")
    parser.add_argument("--no-write", action="store_true", help="do not update the JSON")
    args = parser.parse_args(argv)
    sections = run(args.quick)
    if not args.no_write:
        write(sections)
    print(markdown(sections))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
