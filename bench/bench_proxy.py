"""Proxy overhead: Tollgate vs a minimal aiohttp proxy vs direct.

Two Tollgates: pass-through (policy and audit off: parse, identify, throttle
bookkeeping, forward) and screening (the default configuration with the
baseline policy pack). All run against one mock upstream process in the same
run, interleaved over rounds; figures are medians. Writes
bench/results/proxy.json.

    python bench/bench_proxy.py [--seconds 3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import (
    LoadResult,
    free_port,
    load,
    median_of,
    process,
    update_readme,
    write_results,
)

BODY: dict[str, Any] = {
    "model": "demo-chat",
    "messages": [{"role": "user", "content": "Write one sentence about lighthouses."}],
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    up, tg, tg_admin, base = free_port(), free_port(), free_port(), free_port()
    scr, scr_admin, found = free_port(), free_port(), free_port()
    upstream = f"http://127.0.0.1:{up}"
    targets = {
        "direct": upstream,
        "baseline_proxy": f"http://127.0.0.1:{base}",
        "tollgate_foundation": f"http://127.0.0.1:{found}",
        "tollgate": f"http://127.0.0.1:{tg}",
        "tollgate_screening": f"http://127.0.0.1:{scr}",
    }
    results: dict[str, Any] = {}
    with ExitStack() as stack:
        stack.enter_context(
            process(
                ["-m", "middleware.cli", "demo-upstream", "--port", str(up)],
                f"{upstream}/v1/models",
            )
        )
        stack.enter_context(
            process(
                ["bench/baseline_proxy.py", str(base), upstream],
                f"{targets['baseline_proxy']}/v1/models",
            )
        )
        stack.enter_context(
            process(
                [
                    "-m",
                    "middleware.cli",
                    "serve",
                    "--port",
                    str(tg),
                    "--admin-port",
                    str(tg_admin),
                    "--upstream",
                    upstream,
                ],
                f"http://127.0.0.1:{tg_admin}/readyz",
                env={
                    "TOLLGATE_LOGGING__ACCESS_LOG": "false",
                    "TOLLGATE_POLICY__ENABLED": "false",
                    "TOLLGATE_AUDIT__ENABLED": "false",
                },
            )
        )
        stack.enter_context(
            process(
                ["bench/foundation_proxy.py", str(found), upstream],
                f"{targets['tollgate_foundation']}/v1/models",
            )
        )
        stack.enter_context(
            process(
                [
                    "-m",
                    "middleware.cli",
                    "serve",
                    "--port",
                    str(scr),
                    "--admin-port",
                    str(scr_admin),
                    "--upstream",
                    upstream,
                ],
                f"http://127.0.0.1:{scr_admin}/readyz",
                env={"TOLLGATE_LOGGING__ACCESS_LOG": "false", "TOLLGATE_AUDIT__ENABLED": "false"},
            )
        )
        for scenario, stream in (("json", False), ("stream", True)):
            body = dict(BODY, stream=stream, mock={"chunk_chars": 8}) if stream else BODY
            for conc in (1, 32):
                rounds: dict[str, list[LoadResult]] = {name: [] for name in targets}
                for _ in range(args.rounds):
                    for name, base_url in targets.items():
                        rounds[name].append(
                            load(
                                f"{base_url}/v1/chat/completions", body, conc, args.seconds, stream
                            )
                        )
                key = f"{scenario}_c{conc}"
                results[key] = {
                    name: {
                        "rps": round(median_of(rs, lambda r: r.rps), 1),
                        "p50_ms": round(median_of(rs, lambda r: r.pct(0.50)), 2),
                        "p99_ms": round(median_of(rs, lambda r: r.pct(0.99)), 2),
                        "errors": sum(r.errors for r in rs),
                    }
                    for name, rs in rounds.items()
                }
                row = results[key]
                row["tollgate_vs_baseline_rps"] = round(
                    row["tollgate"]["rps"] / row["baseline_proxy"]["rps"], 3
                )
                row["foundation_vs_baseline_rps"] = round(
                    row["tollgate_foundation"]["rps"] / row["baseline_proxy"]["rps"], 3
                )
                row["tollgate_vs_direct_rps"] = round(
                    row["tollgate"]["rps"] / row["direct"]["rps"], 3
                )
                print(
                    f"{key}: "
                    + ", ".join(
                        f"{n} {row[n]['rps']} rps p50 {row[n]['p50_ms']} ms "
                        f"p99 {row[n]['p99_ms']} ms"
                        for n in targets
                    )
                    + f"; tollgate/baseline {row['tollgate_vs_baseline_rps']}"
                )
    out = {
        "benchmark": "proxy_overhead",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "seconds_per_run": args.seconds,
        "rounds": args.rounds,
        "results": results,
    }
    print(f"wrote {write_results('proxy', out)}")
    lines = [
        "| scenario | direct rps | baseline proxy rps | foundation rps (/ baseline) "
        "| Tollgate rps (/ baseline) | Tollgate p50 / p99 ms | Tollgate + baseline policy rps |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, row in results.items():
        tg = row["tollgate"]
        lines.append(
            f"| {key} | {row['direct']['rps']} | {row['baseline_proxy']['rps']} "
            f"| {row['tollgate_foundation']['rps']} ({row['foundation_vs_baseline_rps']}) "
            f"| {tg['rps']} ({row['tollgate_vs_baseline_rps']}) | {tg['p50_ms']} / {tg['p99_ms']} "
            f"| {row['tollgate_screening']['rps']} |"
        )
    lines.append(
        f"\n_Foundation = the pipeline, adapters and access metrics only; Tollgate = "
        f"pass-through (identity and throttle on, policy and audit off); measured {out['when']}, "
        f"{args.rounds} rounds x {args.seconds} s, medians._"
    )
    update_readme("bench-proxy-table", "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
