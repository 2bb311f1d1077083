"""Streaming cost: time to first token, inter-token delay, total time, CPU per token.

Three targets against one mock upstream, in the same run, interleaved over
rounds (the order rotates each round): the upstream directly, Tollgate with
screening off (policy disabled: frames still parsed for usage) and Tollgate
with the baseline policy screening every frame. The mock streams prose as
real cl100k BPE tokens, one per SSE frame (``chunk_by: tokens``). Scenarios:

* ``prose_50tps``: ``--streams`` streams, ``--concurrency`` at a time, at
  ``--tps`` tokens/s (default 50, a realistic model speed);
* ``max_speed``: the same streams with the mock writing as fast as it can;
* ``concurrent_N_50tps``: for each N in ``--high-concurrency`` (default
  100 and 200), N streams at once at ``--tps``, their starts spread evenly
  over ``--ramp-s``.

Per target and scenario it reports, pooled over every stream of every round:
TTFT p50, the gap between text frames as the client sees them (p50/p95), the
*lateness* of each text frame (its arrival minus the moment the mock was
scheduled to emit its last token, measured from the request's start: the
total delay a reader sees, TTFT included; p50/p95), total stream time p50,
and whether every stream arrived intact. For Tollgate targets: CPU
microseconds per streamed token, counted over Tollgate's whole process tree
(the server and its detector worker processes, via ``/proc``), median over
rounds, everything included (input screening, admission, proxying); and the
implied streams one core can screen at ``--tps`` (= 1e6 / (µs per token x
tps)). The bench's own client and the mock upstream are separate processes
outside that tree; their CPU use is reported too, because on a small machine
they compete with Tollgate for the cores and inflate its latencies (not its
CPU per token).

Writes bench/results/stream.json and the README's ``bench-stream-table``.

    python bench/bench_stream.py [--rounds 3] [--streams 8] [--concurrency 8]
        [--high-concurrency 100,200] [--high-rounds 3] [--tps 50] [--sentences 12]
        [--ramp-s 1.0] [--no-readme]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench._harness import (
    descendants,
    free_port,
    process,
    tree_cpu,
    update_readme,
    write_results,
)
from bench._stream_load import Round, drive, measure
from bench._stream_load import jobs as stream_jobs

TARGETS = ("direct", "tollgate_screening_off", "tollgate_screening_on")


def _pct(data: list[float], q: float) -> float:
    data = sorted(data)
    return data[min(len(data) - 1, int(q * len(data)))] if data else float("nan")


def _summarise(rounds: list[Round], rate: float, is_tollgate: bool) -> dict[str, Any]:
    streams = [s for r in rounds for s in r.streams]
    ok = [s for s in streams if s.error is None]
    gaps = [g for s in ok for g in s.gaps]
    late = [x for s in ok for x in s.lateness]
    ms = 1000.0
    row: dict[str, Any] = {
        "streams": len(streams),
        "errors": len(streams) - len(ok),
        "intact": sum(s.intact for s in ok),
        "frames_per_stream_p50": statistics.median(s.frames for s in ok) if ok else 0,
        "ttft_ms_p50": round(statistics.median(s.ttft for s in ok) * ms, 2) if ok else None,
        "gap_ms_p50": round(_pct(gaps, 0.5) * ms, 2),
        "gap_ms_p95": round(_pct(gaps, 0.95) * ms, 2),
        "total_ms_p50": round(statistics.median(s.total for s in ok) * ms, 1) if ok else None,
        "client_cpu_util": round(
            statistics.median(r.cpu_s["client"] / r.wall_s for r in rounds), 2
        ),
        "upstream_cpu_util": round(
            statistics.median(r.cpu_s["upstream"] / r.wall_s for r in rounds), 2
        ),
    }
    if rate:
        row["lateness_ms_p50"] = round(_pct(late, 0.5) * ms, 2)
        row["lateness_ms_p95"] = round(_pct(late, 0.95) * ms, 2)
    if is_tollgate:
        per_round = []
        main_share = []
        for r in rounds:
            tokens = sum(s.tokens for s in r.streams if s.error is None)
            per_round.append(r.cpu_s["tollgate"] / max(1, tokens) * 1e6)
            main_share.append(r.cpu_s["tollgate_main"] / max(1e-9, r.cpu_s["tollgate"]))
        us = statistics.median(per_round)
        row["cpu_us_per_token"] = round(us, 1)
        row["cpu_us_per_token_rounds"] = [round(x, 1) for x in per_round]
        row["cpu_main_process_share"] = round(statistics.median(main_share), 2)
        row["tollgate_cpu_util"] = round(
            statistics.median(r.cpu_s["tollgate"] / r.wall_s for r in rounds), 2
        )
        # Tollgate's event-loop thread: share of the time it ran, and was runnable
        # but waited for a CPU (busy near 1: the loop is the bottleneck).
        row["event_loop_running"] = round(
            statistics.median(r.cpu_s["loop_run"] / r.wall_s for r in rounds), 2
        )
        row["event_loop_busy"] = round(
            statistics.median(
                (r.cpu_s["loop_run"] + r.cpu_s["loop_wait"]) / r.wall_s for r in rounds
            ),
            2,
        )
        if rate:
            row["streams_per_core"] = round(1e6 / (us * rate), 1) if us else None
    return row


def _detector_metrics(admin_url: str) -> dict[str, dict[str, float]]:
    """Per detector, over the process's life: runs, cache hits, seconds per scan summed.

    The seconds are wall time around each scan (queueing for a worker
    process included), not CPU.
    """
    import urllib.request

    names = {
        "tollgate_detector_runs_total": "runs",
        "tollgate_detector_cache_hits_total": "cache_hits",
        "tollgate_detector_duration_seconds_sum": "seconds_wall",
    }
    out: dict[str, dict[str, float]] = {}
    with urllib.request.urlopen(f"{admin_url}/metrics", timeout=10) as resp:
        for line in resp.read().decode().splitlines():
            metric, _, rest = line.partition("{")
            if metric not in names or 'detector="' not in rest:
                continue
            detector = rest.split('detector="', 1)[1].split('"', 1)[0]
            value = float(line.rsplit(" ", 1)[1])
            out.setdefault(detector, {})[names[metric]] = round(value, 4)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the small scenarios")
    parser.add_argument("--streams", type=int, default=8, help="streams per target per round")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--high-concurrency", default="100,200", help="comma-separated stream counts; 0 skips"
    )
    parser.add_argument("--high-rounds", type=int, default=3)
    parser.add_argument("--tps", type=float, default=50.0, help="tokens/s of paced prose")
    parser.add_argument("--sentences", type=int, default=12, help="per reply (~20 tokens each)")
    parser.add_argument("--ramp-s", type=float, default=1.0, help="spread of the 200 starts")
    parser.add_argument("--idle-s", type=float, default=3.0, help="idle CPU measurement")
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite README.md")
    args = parser.parse_args()
    started = time.perf_counter()
    up, off, off_admin, on, on_admin = (free_port() for _ in range(5))
    upstream = f"http://127.0.0.1:{up}"
    urls = {
        "direct": upstream,
        "tollgate_screening_off": f"http://127.0.0.1:{off}",
        "tollgate_screening_on": f"http://127.0.0.1:{on}",
    }
    quiet = {"TOLLGATE_LOGGING__ACCESS_LOG": "false"}
    scenarios: list[tuple[str, float, int, int, int, float]] = [
        # name, tokens/s, streams, concurrency, rounds, ramp
        (f"prose_{args.tps:g}tps", args.tps, args.streams, args.concurrency, args.rounds, 0.0),
        ("max_speed", 0.0, args.streams, args.concurrency, args.rounds, 0.0),
    ]
    for hc in (int(n) for n in str(args.high_concurrency).split(",") if int(n) > 0):
        name = f"concurrent_{hc}_{args.tps:g}tps"
        scenarios.append((name, args.tps, hc, hc, args.high_rounds, args.ramp_s))
    results: dict[str, Any] = {}
    with ExitStack() as stack:
        up_proc = stack.enter_context(
            process(
                ["-m", "middleware.cli", "demo-upstream", "--port", str(up)],
                f"{upstream}/v1/models",
            )
        )

        def serve(port: int, admin: int, env: dict[str, str]) -> int:
            proc = stack.enter_context(
                process(
                    [
                        *("-m", "middleware.cli", "serve", "--port", str(port)),
                        *("--admin-port", str(admin), "--upstream", upstream),
                    ],
                    f"http://127.0.0.1:{admin}/readyz",
                    env={**quiet, **env},
                )
            )
            return proc.pid

        tollgate_pids = {
            "tollgate_screening_off": serve(off, off_admin, {"TOLLGATE_POLICY__ENABLED": "false"}),
            "tollgate_screening_on": serve(on, on_admin, {}),
        }
        for pid in tollgate_pids.values():  # the client and the mock are not measured
            assert {os.getpid(), up_proc.pid}.isdisjoint([pid, *descendants(pid)])
        # Warm up every target (the mock's encoding, pools, detectors), unmeasured.
        warm = stream_jobs(range(10**6, 10**6 + 4), 0.0, args.sentences)
        for target in TARGETS:
            asyncio.run(drive(f"{urls[target]}/v1/chat/completions", warm, 4, 0.0))
        # Idle CPU of each Tollgate tree (background timers), to read the figures against.
        idle0 = {t: sum(tree_cpu(pid).values()) for t, pid in tollgate_pids.items()}
        time.sleep(args.idle_s)
        idle = {
            t: {
                "idle_cpu_util": round((sum(tree_cpu(pid).values()) - idle0[t]) / args.idle_s, 3),
                "processes": len(tree_cpu(pid)),
            }
            for t, pid in tollgate_pids.items()
        }
        print("idle", json.dumps(idle), flush=True)
        seed = 0
        for name, rate, streams, conc, rounds, ramp in scenarios:
            per_target: dict[str, list[Round]] = {t: [] for t in TARGETS}
            token_counts: list[int] = []
            for k in range(rounds):
                # New texts every round; the same ones for each target within a round.
                jobs = stream_jobs(range(seed, seed + streams), rate, args.sentences)
                seed += streams
                token_counts += [j.schedule.tokens for j in jobs]
                order = TARGETS[k % 3 :] + TARGETS[: k % 3]
                for target in order:
                    pids = {"upstream": up_proc.pid}
                    if target in tollgate_pids:
                        pids["tollgate"] = tollgate_pids[target]
                    url = f"{urls[target]}/v1/chat/completions"
                    per_target[target].append(measure(url, jobs, conc, ramp, pids))
            row: dict[str, Any] = {
                "tokens_per_stream_p50": statistics.median(token_counts),
                "tokens_per_s": rate or "max",
                "streams_per_round": streams,
                "concurrency": conc,
                "rounds": rounds,
            }
            for target in TARGETS:
                row[target] = _summarise(per_target[target], rate, target in tollgate_pids)
            direct = row["direct"]
            for target in TARGETS[1:]:
                r = row[target]
                added = {
                    "ttft_ms_p50": round(r["ttft_ms_p50"] - direct["ttft_ms_p50"], 2),
                    "gap_ms_p50": round(r["gap_ms_p50"] - direct["gap_ms_p50"], 2),
                    "gap_ms_p95": round(r["gap_ms_p95"] - direct["gap_ms_p95"], 2),
                }
                if rate:
                    added["lateness_ms_p50"] = round(
                        r["lateness_ms_p50"] - direct["lateness_ms_p50"], 2
                    )
                    added["lateness_ms_p95"] = round(
                        r["lateness_ms_p95"] - direct["lateness_ms_p95"], 2
                    )
                r["added_vs_direct"] = added
                # Fell behind the upstream: its CPU per token is then amortised over
                # backlogged frames (read and screened in batches), an underestimate.
                r["saturated"] = bool(rate) and added.get("lateness_ms_p50", 0.0) > 1000
            on, off = row["tollgate_screening_on"], row["tollgate_screening_off"]
            if rate and "cpu_us_per_token" in on and "cpu_us_per_token" in off:
                # What screening adds over proxying the same stream unscreened (the
                # proxying floor is paid by any proxy in front of the API).
                extra = round(on["cpu_us_per_token"] - off["cpu_us_per_token"], 1)
                on["screening_cpu_us_per_token"] = extra
                on["screening_streams_per_core"] = (
                    round(1e6 / (extra * rate), 1) if extra > 0 else None
                )
            results[name] = row
            print(name, json.dumps(row), flush=True)
        detectors = _detector_metrics(f"http://127.0.0.1:{on_admin}")
        print("detectors", json.dumps(detectors), flush=True)
    elapsed = time.perf_counter() - started
    out = {
        "benchmark": "stream_screening",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpus": os.cpu_count(),
        "bench_seconds": round(elapsed, 1),
        "args": vars(args),
        "notes": (
            "Mock streams real cl100k BPE tokens, one per SSE frame. CPU per token: Tollgate's "
            "whole process tree (server + detector worker processes) over each target's run, "
            "all-in, divided by the tokens the upstream streamed; median over rounds. "
            "streams_per_core = 1e6 / (cpu_us_per_token * tokens_per_s). client_cpu_util and "
            "upstream_cpu_util: cores used by the bench client and the mock upstream meanwhile "
            "(they share the machine with Tollgate and inflate its latencies, not its CPU)."
        ),
        "tollgate_idle": idle,
        "screening_on_detectors": detectors,
        "results": results,
    }
    print(f"wrote {write_results('stream', out)} in {elapsed:.0f} s")
    if not args.no_readme:
        update_readme("bench-stream-table", _table(out))
    return 0


def _table(out: dict[str, Any]) -> str:
    results = out["results"]
    lines = [
        "| upstream | target | TTFT p50 ms | gap p50 / p95 ms | lateness p50 / p95 ms "
        "| total p50 ms | CPU µs/token | streams/core |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for scenario, row in results.items():
        for target in TARGETS:
            r = row[target]
            late = (
                f"{r['lateness_ms_p50']} / {r['lateness_ms_p95']}"
                if "lateness_ms_p50" in r
                else "-"
            )
            cpu = r.get("cpu_us_per_token", "-")
            spc = r.get("streams_per_core") or "-"
            err = f" ({r['errors']} errors)" if r["errors"] else ""
            err += " (fell behind)" if r.get("saturated") else ""
            lines.append(
                f"| {scenario} | {target}{err} | {r['ttft_ms_p50']} | {r['gap_ms_p50']} / "
                f"{r['gap_ms_p95']} | {late} | {r['total_ms_p50']} | {cpu} | {spc} |"
            )
    first = next(k for k in results if k.startswith("prose_"))
    prose = results[first]["tollgate_screening_on"]
    text = (
        f"\n_Same run, {out['cpus']} CPUs shared with the bench's client and mock upstream; "
        f"~{results[first]['tokens_per_stream_p50']:.0f} real BPE tokens per stream, one per "
        f"frame. Lateness: how long after the mock emitted a token the client got it. Added by "
        f"screening at 50 tokens/s vs direct: TTFT {prose['added_vs_direct']['ttft_ms_p50']} ms "
        f"(median), inter-token gap p95 {prose['added_vs_direct']['gap_ms_p95']} ms, lateness "
        f"p95 {prose['added_vs_direct']['lateness_ms_p95']} ms."
    )
    high = sorted(
        (k for k in results if k.startswith("concurrent_")),
        key=lambda k: int(results[k]["streams_per_round"]),
    )
    for name in high:
        row = results[name]
        hon, hoff = row["tollgate_screening_on"], row["tollgate_screening_off"]
        text += (
            f" {row['streams_per_round']} concurrent streams: CPU per streamed token "
            f"(Tollgate's process tree, detector workers included) {hon['cpu_us_per_token']} µs "
            f"screened vs {hoff['cpu_us_per_token']} µs not (~{hon['streams_per_core']} vs "
            f"~{hoff['streams_per_core']} streams per core at 50 tokens/s; the screening alone, "
            f"screened minus not, {hon.get('screening_cpu_us_per_token')} µs, "
            f"~{hon.get('screening_streams_per_core')} streams per core); added by screening: "
            f"TTFT {hon['added_vs_direct']['ttft_ms_p50']} ms, lateness p95 "
            f"{hon['added_vs_direct']['lateness_ms_p95']} ms"
        )
        text += (
            f" (screening fell behind the upstream: its event-loop thread wanted a CPU "
            f"{hon['event_loop_busy']:.0%} of the time and got {hon['event_loop_running']:.0%}; "
            "the µs per token, amortised over backlogged frames, is a lower bound)."
            if hon["saturated"]
            else "."
        )
    if high:
        last = results[high[-1]]["direct"]
        text += (
            f" At {results[high[-1]]['streams_per_round']} streams the bench client used "
            f"{last['client_cpu_util']} and the mock upstream {last['upstream_cpu_util']} of a "
            "core (direct run): not saturated, but competing for the same cores."
        )
    text += (
        f" Measured {out['when']} ({out['bench_seconds']:.0f} s): "
        "`python bench/bench_stream.py` (`--help` for rounds, streams, concurrency, tokens/s)._"
    )
    return "\n".join(lines) + "\n" + text


if __name__ == "__main__":
    sys.exit(main())
