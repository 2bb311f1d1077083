"""Streaming cost: time to first token, inter-token delay, total time, CPU per token.

Three targets against one mock upstream, in the same run: the upstream
directly, Tollgate with screening off (policy disabled: frames still parsed
for usage) and Tollgate with the baseline policy screening every frame. Two
upstream speeds: ordinary prose at ~50 tokens/s, and as fast as it can.
Writes bench/results/stream.json (medians over all streams of a scenario).

    python bench/bench_stream.py [--streams 16] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from bench._harness import (
    cpu_seconds,
    free_port,
    process,
    update_readme,
    write_results,
)

PROSE = (
    "The harbour was quiet in the early morning, and the fishing boats rocked gently "
    "against the pier while gulls circled above the lighthouse. Down by the water an old "
    "man mended his nets, humming a tune his father had taught him, and the smell of salt "
    "and tar hung in the cool air. Later the sun rose over the hills and the town woke up. "
)


def _pct(data: list[float], q: float) -> float:
    data = sorted(data)
    return data[min(len(data) - 1, int(q * len(data)))] if data else float("nan")


async def _one(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    first: float | None = None
    gaps: list[float] = []
    last = t0
    tokens = 0
    buf = b""
    async with http.post(url, json=body) as resp:
        async for chunk in resp.content.iter_any():
            now = time.perf_counter()
            buf += chunk
            while b"\n\n" in buf:
                event, buf = buf.split(b"\n\n", 1)
                data = event.removeprefix(b"data: ")
                if data == b"[DONE]" or not data.startswith(b"{"):
                    continue
                frame = json.loads(data)
                choices = frame.get("choices") or []
                if choices and (choices[0].get("delta") or {}).get("content"):
                    tokens += 1
                    if first is None:
                        first = now - t0
                    else:
                        gaps.append(now - last)
                    last = now
    return {"ttft": first or float("nan"), "gaps": gaps, "total": time.perf_counter() - t0,
            "tokens": tokens}  # fmt: skip


async def _scenario(url: str, body: dict[str, Any], streams: int, conc: int) -> dict[str, Any]:
    sem = asyncio.Semaphore(conc)
    async with aiohttp.ClientSession() as http:

        async def run() -> dict[str, Any]:
            async with sem:
                return await _one(http, url, body)

        results = await asyncio.gather(*(run() for _ in range(streams)))
    gaps = [g for r in results for g in r["gaps"]]
    return {
        "ttft_ms_p50": round(statistics.median(r["ttft"] for r in results) * 1000, 2),
        "gap_ms_p50": round(_pct(gaps, 0.5) * 1000, 2),
        "gap_ms_p95": round(_pct(gaps, 0.95) * 1000, 2),
        "total_ms_p50": round(statistics.median(r["total"] for r in results) * 1000, 1),
        "tokens": sum(r["tokens"] for r in results),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    up, off, off_admin, on, on_admin = (free_port() for _ in range(5))
    upstream = f"http://127.0.0.1:{up}"
    urls = {
        "direct": upstream,
        "tollgate_screening_off": f"http://127.0.0.1:{off}",
        "tollgate_screening_on": f"http://127.0.0.1:{on}",
    }
    quiet = {"TOLLGATE_LOGGING__ACCESS_LOG": "false"}
    results: dict[str, Any] = {}
    with ExitStack() as stack:
        stack.enter_context(
            process(
                ["-m", "middleware.cli", "demo-upstream", "--port", str(up)],
                f"{upstream}/v1/models",
            )
        )
        plain = stack.enter_context(
            process(
                [
                    "-m",
                    "middleware.cli",
                    "serve",
                    "--port",
                    str(off),
                    "--admin-port",
                    str(off_admin),
                    "--upstream",
                    upstream,
                ],
                f"http://127.0.0.1:{off_admin}/readyz",
                env={**quiet, "TOLLGATE_POLICY__ENABLED": "false"},
            )
        )
        screened = stack.enter_context(
            process(
                [
                    "-m",
                    "middleware.cli",
                    "serve",
                    "--port",
                    str(on),
                    "--admin-port",
                    str(on_admin),
                    "--upstream",
                    upstream,
                ],
                f"http://127.0.0.1:{on_admin}/readyz",
                env=quiet,
            )
        )
        for speed, delay in (("prose_50tps", 20), ("max_speed", 0)):
            body = {
                "model": "demo-chat",
                "stream": True,
                "messages": [{"role": "user", "content": "Tell me about the harbour."}],
                "mock": {"reply": PROSE, "chunk_chars": 4, "token_delay_ms": delay},
            }
            row: dict[str, Any] = {}
            pids = {"tollgate_screening_off": plain.pid, "tollgate_screening_on": screened.pid}
            for name, base in urls.items():
                pid = pids.get(name)
                cpu0 = cpu_seconds(pid) if pid else 0.0
                row[name] = asyncio.run(
                    _scenario(f"{base}/v1/chat/completions", body, args.streams, args.concurrency)
                )
                if pid:
                    # Per token the client received (hold-back merges some frames).
                    per_token = (cpu_seconds(pid) - cpu0) / max(1, len(PROSE) // 4 * args.streams)
                    row[name]["cpu_us_per_token"] = round(per_token * 1e6, 1)
                    row[name]["streams_per_core_at_50tps"] = round(1 / (50 * per_token), 1)
            on_row, off_row, direct = (
                row["tollgate_screening_on"],
                row["tollgate_screening_off"],
                row["direct"],
            )
            row["added_ttft_ms_vs_direct"] = round(on_row["ttft_ms_p50"] - direct["ttft_ms_p50"], 2)
            row["added_gap_ms_p95_vs_direct"] = round(
                on_row["gap_ms_p95"] - direct["gap_ms_p95"], 2
            )
            row["added_ttft_ms_vs_screening_off"] = round(
                on_row["ttft_ms_p50"] - off_row["ttft_ms_p50"], 2
            )
            results[speed] = row
            print(speed, json.dumps(row))
    out = {
        "benchmark": "stream_screening",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "streams": args.streams,
        "concurrency": args.concurrency,
        "results": results,
    }
    print(f"wrote {write_results('stream', out)}")
    lines = [
        "| upstream | target | TTFT p50 ms | gap p50 / p95 ms | total p50 ms |",
        "|---|---|---|---|---|",
    ]
    for speed, row in results.items():
        for name in urls:
            r = row[name]
            lines.append(
                f"| {speed} | {name} | {r['ttft_ms_p50']} | {r['gap_ms_p50']} / "
                f"{r['gap_ms_p95']} | {r['total_ms_p50']} |"
            )
    prose = results["prose_50tps"]
    on, off = prose["tollgate_screening_on"], prose["tollgate_screening_off"]
    lines.append(
        f"\n_Added by screening at 50 tokens/s: TTFT {prose['added_ttft_ms_vs_direct']} ms "
        f"(median, vs direct), inter-token delay p95 {prose['added_gap_ms_p95_vs_direct']} ms. "
        f"CPU per streamed token: {on['cpu_us_per_token']} µs screened vs "
        f"{off['cpu_us_per_token']} µs not screened (~{on['streams_per_core_at_50tps']} vs "
        f"~{off['streams_per_core_at_50tps']} streams per core at 50 tokens/s). "
        f"Measured {out['when']}._"
    )
    update_readme("bench-stream-table", "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
