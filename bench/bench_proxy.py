"""Proxy overhead: Tollgate (pass-through screening off) vs a minimal aiohttp proxy vs direct.

All three run against one mock upstream process in the same run, interleaved
over rounds; figures are medians. Writes bench/results/proxy.json.

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
    upstream = f"http://127.0.0.1:{up}"
    targets = {
        "direct": upstream,
        "baseline_proxy": f"http://127.0.0.1:{base}",
        "tollgate": f"http://127.0.0.1:{tg}",
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
                f"{targets['tollgate']}/v1/models",
                env={"TOLLGATE_LOGGING__ACCESS_LOG": "false"},
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
        "| scenario | direct rps | baseline proxy rps | Tollgate rps | Tollgate / baseline "
        "| Tollgate p50 / p99 ms |",
        "|---|---|---|---|---|---|",
    ]
    for key, row in results.items():
        tg = row["tollgate"]
        lines.append(
            f"| {key} | {row['direct']['rps']} | {row['baseline_proxy']['rps']} | {tg['rps']} "
            f"| {row['tollgate_vs_baseline_rps']} | {tg['p50_ms']} / {tg['p99_ms']} |"
        )
    lines.append(f"\n_Measured {out['when']}, {args.rounds} rounds x {args.seconds} s, medians._")
    update_readme("bench-proxy-table", "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
