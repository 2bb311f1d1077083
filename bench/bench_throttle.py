"""Throttle cost: throttling off vs the memory backend vs Redis on loopback, same run.

Two views, both interleaved over rounds, medians:

* ``step``: the throttle step alone, in process -- ``ThrottleAddon.request`` +
  ``done`` for one request (identity already resolved), sequentially, in
  microseconds; ``added_us`` is the difference to throttling off.
* ``proxy``: three Tollgate processes (throttle off, memory, redis) in front of
  the demo upstream, driven over HTTP at concurrency 1 and 32; ratios of
  requests per second against throttling off.

The limits are high enough never to refuse: this measures the bookkeeping
(tokenizing the prompt, the atomic reserve, the settle), not refusals.
Writes bench/results/throttle.json.

    python bench/bench_throttle.py [--seconds 3] [--rounds 3] [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import LoadResult, free_port, load, median_of, process, write_results

BODY: dict[str, Any] = {
    "model": "gpt-4o",
    "messages": [
        {"role": "system", "content": "You are a concise assistant for a lighthouse museum."},
        {"role": "user", "content": "Write one sentence about lighthouses. " * 8},
    ],
    "max_tokens": 256,
}
HIGH = 10**9
TIERS: dict[str, Any] = {
    "default": {
        "requests_per_second": HIGH,
        "requests_per_minute": HIGH,
        "requests_per_day": HIGH,
        "tokens_per_minute": HIGH,
        "tokens_per_day": HIGH,
        "concurrent_requests": 100_000,
    }
}
NO_TOKEN_TIERS: dict[str, Any] = {
    "default": {k: v for k, v in TIERS["default"].items() if not k.startswith("tokens")}
}


@contextmanager
def redis_server() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                workdir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            import redis

            client = redis.Redis(port=port)
            for _ in range(200):
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(10)


# -- step: the addon alone ------------------------------------------------------------


def _addon(raw: dict[str, Any]) -> Any:
    from middleware.throttle import ThrottleAddon, parse_throttle_config

    return ThrottleAddon(parse_throttle_config(raw))


def _ctx() -> Any:
    from multidict import CIMultiDict, CIMultiDictProxy

    from middleware._context import Identity, ProxyRequest, RequestContext
    from middleware.adapters import OpenAIChatAdapter

    adapter = OpenAIChatAdapter()
    req = ProxyRequest("POST", adapter.path, "", CIMultiDictProxy(CIMultiDict()), b"")
    ctx = RequestContext(request=req, request_id="b", route=adapter.name, adapter=adapter)
    ctx.body = BODY
    ctx.parsed = adapter.parse_request(BODY)
    ctx.identity = Identity("k_" + "0" * 24, "bench", "default", True)
    return ctx


async def _step_round(addon: Any, n: int) -> list[float]:
    ctxs = [_ctx() for _ in range(n)]
    out: list[float] = []
    for ctx in ctxs:
        t0 = time.perf_counter()
        await addon.request(ctx)
        ctx.status = 200
        ctx.usage.update(prompt_tokens=90, completion_tokens=30, total_tokens=120)
        await addon.done(ctx)
        out.append((time.perf_counter() - t0) * 1e6)
    return out


async def _step(redis_url: str, rounds: int, n: int) -> dict[str, Any]:
    redis_cfg = {"url": redis_url, "url_env": "TOLLGATE_BENCH_UNSET", "timeout_ms": 1000}
    addons = {
        "off": _addon({"enabled": False, "tiers": TIERS}),
        "memory_no_tokens": _addon({"tiers": NO_TOKEN_TIERS}),
        "memory": _addon({"tiers": TIERS}),
        "redis": _addon({"backend": "redis", "redis": redis_cfg, "tiers": TIERS}),
    }
    for addon in addons.values():
        await addon.startup()
        await _step_round(addon, 200)  # warm up (script load, pools, tokenizer caches)
    samples: dict[str, list[float]] = {name: [] for name in addons}
    for _ in range(rounds):
        for name, addon in addons.items():
            samples[name] += await _step_round(addon, n)
    for addon in addons.values():
        await addon.shutdown()
    base = statistics.median(samples["off"])
    out: dict[str, Any] = {}
    for name, values in samples.items():
        values.sort()
        med = statistics.median(values)
        out[name] = {
            "p50_us": round(med, 1),
            "p99_us": round(values[int(0.99 * (len(values) - 1))], 1),
            "added_us": round(med - base, 1),
            "samples": len(values),
        }
    return out


# -- proxy: whole Tollgate processes ---------------------------------------------------


def _serve(port: int, admin: int, upstream: str, config: Path) -> Any:
    env = {"TOLLGATE_LOGGING__ACCESS_LOG": "false", "TOLLGATE_LOGGING__LEVEL": "warning"}
    args = [
        "-m",
        "middleware.cli",
        "serve",
        "--config",
        str(config),
        "--port",
        str(port),
        "--admin-port",
        str(admin),
        "--upstream",
        upstream,
    ]
    return process(args, f"http://127.0.0.1:{port}/v1/models", env=env)


def _proxy(redis_url: str, seconds: float, rounds: int) -> dict[str, Any]:
    up = free_port()
    upstream = f"http://127.0.0.1:{up}"
    variants = {
        "off": {"enabled": False},
        "memory": {"tiers": TIERS},
        "redis": {
            "backend": "redis",
            "tiers": TIERS,
            "redis": {"url": redis_url, "url_env": "TOLLGATE_BENCH_UNSET"},
        },
    }
    ports = {name: (free_port(), free_port()) for name in variants}
    results: dict[str, Any] = {}
    with ExitStack() as stack:
        stack.enter_context(
            process(
                ["-m", "middleware.cli", "demo-upstream", "--port", str(up)],
                f"{upstream}/v1/models",
            )
        )
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        for name, cfg in variants.items():
            path = workdir / f"{name}.yaml"
            path.write_text(json.dumps({"throttle": cfg}))  # JSON is YAML
            stack.enter_context(_serve(*ports[name], upstream, path))
        for conc in (1, 32):
            runs: dict[str, list[LoadResult]] = {name: [] for name in variants}
            for _ in range(rounds):
                for name in variants:
                    url = f"http://127.0.0.1:{ports[name][0]}/v1/chat/completions"
                    runs[name].append(load(url, BODY, conc, seconds, False))
            row: dict[str, Any] = {
                name: {
                    "rps": round(median_of(rs, lambda r: r.rps), 1),
                    "p50_ms": round(median_of(rs, lambda r: r.pct(0.50)), 3),
                    "p99_ms": round(median_of(rs, lambda r: r.pct(0.99)), 3),
                    "errors": sum(r.errors for r in rs),
                }
                for name, rs in runs.items()
            }
            for name in ("memory", "redis"):
                row[f"{name}_vs_off_rps"] = round(row[name]["rps"] / row["off"]["rps"], 3)
            results[f"json_c{conc}"] = row
            print(
                f"proxy c{conc}: "
                + ", ".join(f"{n} {row[n]['rps']} rps p50 {row[n]['p50_ms']} ms" for n in variants)
            )
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=2000, help="per variant per round (step)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with redis_server() as redis_url:
        step = asyncio.run(_step(redis_url, args.rounds, args.requests))
        for name, row in step.items():
            print(
                f"step {name}: p50 {row['p50_us']} us, p99 {row['p99_us']} us, "
                f"+{row['added_us']} us vs off"
            )
        proxy = _proxy(redis_url, args.seconds, args.rounds)
    out = {
        "benchmark": "throttle_cost",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            # Other work on the machine skews the figures (p99 and c32 most): record it.
            "loadavg_1m_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        },
        "rounds": args.rounds,
        "seconds_per_run": args.seconds,
        "requests_per_step_round": args.requests,
        "step": step,
        "proxy": proxy,
    }
    print(f"wrote {write_results('throttle', out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
