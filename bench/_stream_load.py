"""The streaming bench's load: varied prose, the streams to request, what a client saw.

Used by ``bench/bench_stream.py``: :func:`jobs` builds one request per stream
(distinct prose and prompt, so detector caches do not flatter Tollgate),
:func:`measure` drives them against one target and snapshots the CPU of the
processes involved around the run.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench._harness import thread_sched, tree_cpu
from middleware.demo_upstream import token_pieces

__all__ = [
    "Job",
    "Round",
    "Schedule",
    "StreamStats",
    "drive",
    "jobs",
    "measure",
    "prompt",
    "prose",
]

# Ordinary prose, varied per stream: Tollgate caches detector findings per text
# chunk, so identical replies (or prompts) in every stream would be screened
# once and hit the cache ever after, understating the cost of real traffic.
_SENTENCES = (
    "The {a} was {b} in the {c} morning, and the {d} boats rocked {e} against the pier.",
    "Gulls circled {e} above the {f}, calling to each other over the {b} water.",
    "Down by the {a} an {g} man mended his nets, humming a tune his {h} had taught him.",
    "The smell of {i} and tar hung in the {j} air while the tide crept {e} up the shingle.",
    "Later the sun rose over the {k} and the {l} woke up, one shutter after another.",
    "A {g} woman opened the bakery, and the scent of {m} bread drifted down the {n}.",
    "Children ran along the {n} towards the {f}, their voices {b} and bright.",
    "By noon the {d} boats had gone out past the {f}, and the {a} lay {b} once more.",
    "In the evening the lamps were lit, and the {l} gathered to hear the {h} tell stories.",
    "Nobody could remember a {j} season like it, and nobody minded the {i} on the wind.",
)
_WORDS = {
    "a": ("harbour", "bay", "quay", "cove", "marina", "wharf"),
    "b": ("quiet", "calm", "still", "silent", "peaceful", "hushed"),
    "c": ("early", "late", "grey", "misty", "cold", "bright"),
    "d": ("fishing", "wooden", "small", "painted", "old", "little"),
    "e": ("gently", "slowly", "softly", "lazily", "steadily", "idly"),
    "f": ("lighthouse", "breakwater", "headland", "harbour wall", "point", "jetty"),
    "g": ("old", "elderly", "weathered", "patient", "cheerful", "tired"),
    "h": ("father", "grandmother", "uncle", "mother", "grandfather", "aunt"),
    "i": ("salt", "seaweed", "smoke", "rain", "pine", "fish"),
    "j": ("cool", "crisp", "damp", "mild", "soft", "sharp"),
    "k": ("hills", "moors", "cliffs", "fields", "downs", "dunes"),
    "l": ("town", "village", "street", "parish", "market", "harbour town"),
    "m": ("warm", "fresh", "sweet", "rye", "brown", "seeded"),
    "n": ("lane", "hill", "street", "path", "promenade", "steps"),
}


def prose(seed: int, sentences: int) -> str:
    """Deterministic ordinary prose for stream ``seed``: ``sentences`` varied sentences."""
    rng = random.Random(seed)
    out = []
    for k in range(sentences):
        template = _SENTENCES[(seed + k) % len(_SENTENCES)]
        out.append(template.format(**{slot: rng.choice(w) for slot, w in _WORDS.items()}))
    return " ".join(out) + " "


def prompt(seed: int) -> str:
    """A distinct, harmless prompt for stream ``seed`` (input screening is cached too)."""
    rng = random.Random(-1 - seed)
    words = [rng.choice(w) for w in _WORDS.values()]
    return f"Write a short {words[1]} story about a {words[0]}, a {words[5]} and the {words[10]}."


@dataclass
class StreamStats:
    """What the client saw of one stream (seconds, from the request's start)."""

    ttft: float = float("nan")
    total: float = float("nan")
    gaps: list[float] = field(default_factory=list)
    lateness: list[float] = field(default_factory=list)
    frames: int = 0
    tokens: int = 0  # tokens the upstream streamed
    intact: bool = False  # the text arrived exactly as the upstream sent it
    error: str | None = None


class Schedule:
    """When the mock emits each character of the reply: token k at k / rate seconds."""

    def __init__(self, text: str, rate: float) -> None:
        self.rate = rate
        self.ends: list[int] = []  # exclusive end offset of each token
        pos = 0
        for piece in token_pieces(text):
            pos += len(piece)
            self.ends.append(pos)

    @property
    def tokens(self) -> int:
        return len(self.ends)

    def due(self, chars: int) -> float:
        """Scheduled emission time of the token holding character ``chars - 1``."""
        k = bisect.bisect_left(self.ends, chars)
        return min(k, self.tokens - 1) / self.rate if self.rate else 0.0


@dataclass
class Job:
    """One stream to request: the body (with the mock's reply) and its schedule."""

    body: dict[str, Any]
    expected: str
    schedule: Schedule


def jobs(seeds: range, rate: float, sentences: int) -> list[Job]:
    """One job per seed: paced at ``rate`` tokens/s (0: as fast as the mock can)."""
    out = []
    for seed in seeds:
        text = prose(seed, sentences)
        mock: dict[str, Any] = {"reply": text, "chunk_by": "tokens"}
        if rate:
            mock["tokens_per_s"] = rate
        body = {
            "model": "demo-chat",
            "stream": True,
            "messages": [{"role": "user", "content": prompt(seed)}],
            "mock": mock,
        }
        out.append(Job(body, text, Schedule(text, rate)))
    return out


async def _one(http: aiohttp.ClientSession, url: str, job: Job) -> StreamStats:
    st = StreamStats(tokens=job.schedule.tokens)
    body, schedule = job.body, job.schedule
    t0 = time.perf_counter()
    last = t0
    buf = b""
    parts: list[str] = []
    chars = 0
    try:
        async with http.post(url, json=body) as resp:
            if resp.status != 200:
                st.error = f"HTTP {resp.status}"
                await resp.read()
                return st
            async for chunk in resp.content.iter_any():
                now = time.perf_counter()
                buf += chunk
                while b"\n\n" in buf:
                    event, buf = buf.split(b"\n\n", 1)
                    data = event.removeprefix(b"data: ")
                    if not data.startswith(b"{"):
                        continue
                    choices = json.loads(data).get("choices") or []
                    text = (choices[0].get("delta") or {}).get("content") if choices else None
                    if not text:
                        continue
                    parts.append(text)
                    chars += len(text)
                    st.frames += 1
                    if st.frames == 1:
                        st.ttft = now - t0
                    else:
                        st.gaps.append(now - last)
                    last = now
                    if schedule.rate:
                        st.lateness.append(now - t0 - schedule.due(chars))
    except (TimeoutError, aiohttp.ClientError) as exc:
        st.error = type(exc).__name__
    st.total = time.perf_counter() - t0
    st.intact = st.error is None and "".join(parts) == job.expected
    return st


async def drive(url: str, todo: list[Job], conc: int, ramp_s: float) -> list[StreamStats]:
    """Request every job, ``conc`` at a time; what the client saw of each."""
    sem = asyncio.Semaphore(conc)
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:

        async def run(i: int) -> StreamStats:
            if ramp_s:
                await asyncio.sleep(ramp_s * i / len(todo))
            async with sem:
                return await _one(http, url, todo[i])

        return list(await asyncio.gather(*(run(i) for i in range(len(todo)))))


@dataclass
class Round:
    """One target's streams in one round, with the CPU the processes spent meanwhile."""

    streams: list[StreamStats]
    wall_s: float
    # tollgate (tree), tollgate_main, loop_run/loop_wait (its main thread's
    # time on a CPU and in the run queue), upstream (tree), client
    cpu_s: dict[str, float]


def measure(url: str, todo: list[Job], conc: int, ramp_s: float, pids: dict[str, int]) -> Round:
    """Run ``todo`` against ``url`` (``conc`` at a time, starts spread over ``ramp_s``)."""

    def snap() -> dict[str, float]:
        out = {"client": time.process_time()}
        for name, pid in pids.items():
            tree = tree_cpu(pid)
            out[name] = sum(tree.values())
            if name == "tollgate":
                out["tollgate_main"] = tree.get(pid, 0.0)
                out["loop_run"], out["loop_wait"] = thread_sched(pid)
        return out

    before, w0 = snap(), time.perf_counter()
    results = asyncio.run(drive(url, todo, conc, ramp_s))
    after, w1 = snap(), time.perf_counter()
    return Round(results, w1 - w0, {k: after[k] - before[k] for k in after})
