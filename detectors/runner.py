"""The detector runner: scan a text with a set of named detectors.

:class:`DetectorSet` is what the policy engine calls. Per scan it cuts the
text into overlapping chunks (long inputs are never truncated), looks every
(chunk, detector) pair up in a bounded LRU cache keyed by the chunk's hash and
the detector's ``config_key`` (a conversation re-sent every turn only pays for
its new messages), normalises each uncached chunk once, runs the named
detectors -- CPU-heavy ones on an executor, each under a time budget -- and
maps every span back to the original text. Failures never raise: they are
reported in :attr:`ScanResult.failed` for the rule to decide fail-open or
fail-closed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import threading
import time
from collections.abc import Collection, Mapping
from concurrent.futures import BrokenExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from detectors import _prechecks as prechecks
from detectors._base import Detector, Finding, create
from detectors._cache import LruCache
from detectors._pool import DetectorPool, ExecutorKind
from detectors._results import DetectorEvent, Observer, Outcome, RunnerStats, ScanResult
from detectors._segment import Chunk, merge_findings, split
from detectors._work import PreparedChunk, detect_chunk, prepare, view_of

__all__ = ["DetectorEvent", "DetectorSet", "Observer", "RunnerStats", "ScanResult"]

log = logging.getLogger(__name__)

#: Option keys the runner consumes itself in :meth:`DetectorSet.from_config`.
_RUNNER_KEYS = ("detector", "timeout_s")
#: Keys of the ``runner`` entry in :meth:`DetectorSet.from_section`.
_SECTION_RUNNER_KEYS = frozenset(
    {
        "executor",
        "workers",
        "timeout_s",
        "cache_size",
        "segment_chars",
        "overlap_chars",
        "decode_payloads",
    }
)
#: Chunks longer than this in total are prepared off the event loop.
_PREPARE_INLINE_CHARS = 32_768


@dataclass
class _Plan:
    chunks: list[Chunk]
    keys: list[bytes]
    done: dict[tuple[str, int], tuple[Finding, ...]]
    todo: dict[str, list[int]]
    failed: dict[str, str]
    hits: int = 0
    prepared: dict[int, PreparedChunk] = field(default_factory=dict)


class DetectorSet:
    """Named detectors, loaded once, scanned together (see the module docstring)."""

    def __init__(
        self,
        detectors: Mapping[str, Detector],
        *,
        timeout_s: float = 2.0,
        timeouts: Mapping[str, float] | None = None,
        cache_size: int = 8192,
        workers: int = 2,
        executor: ExecutorKind = "process",
        segment_chars: int = 8192,
        overlap_chars: int = 256,
        decode_payloads: bool = True,
        observer: Observer | None = None,
    ) -> None:
        """Build a set; nothing runs until :meth:`warmup` or the first scan.

        ``timeout_s`` is each CPU-heavy detector's budget per scan
        (``timeouts`` overrides it per name; cheap detectors run on the loop
        and are not interrupted). ``cache_size`` bounds the LRU in
        (chunk, detector) entries. CPU-heavy detectors run on ``workers``
        processes -- the default: in ``bench/eval_executor.py`` a process
        pool kept the event loop more responsive than threads, which share
        presidio's GIL -- or threads (``executor="thread"``, for detectors
        that cannot be pickled; a timed-out thread runs on to completion in
        the background). Processes are started with ``spawn``: a script
        that builds a set at import time needs an ``if __name__ ==
        "__main__"`` guard. Texts longer than ``segment_chars`` are scanned
        in chunks overlapping by ``overlap_chars``; ``decode_payloads``
        re-scans base64/hex/binary/URL/rot13 blobs and Unicode-tag text with every
        detector.
        """
        split("", segment_chars, overlap_chars)  # validates the sizes
        self._detectors = dict(detectors)
        self._timeouts = {n: float((timeouts or {}).get(n, timeout_s)) for n in self._detectors}
        self._cache: LruCache[tuple[bytes, str, str], tuple[Finding, ...]] = LruCache(cache_size)
        self._pool = DetectorPool(
            {n: d for n, d in self._detectors.items() if d.cpu_heavy},
            kind=executor,
            workers=workers,
        )
        self._segment = (segment_chars, overlap_chars)
        self._decode = decode_payloads
        self._observer = observer
        self._warmed = False
        self._warm_lock = threading.Lock()
        self._stats = RunnerStats()
        self._stats_lock = threading.Lock()

    @classmethod
    def from_config(cls, options: Mapping[str, Mapping[str, Any]], **kwargs: Any) -> DetectorSet:
        """Build detectors through the registry: ``{name: options}``.

        Each name is created with :func:`detectors.create`; two runner keys
        are taken out of the options first: ``detector`` (the registered
        detector to build, default the name itself, so one detector can be
        configured twice under two names) and ``timeout_s`` (its budget).
        ``kwargs`` go to the constructor.
        """
        built: dict[str, Detector] = {}
        timeouts: dict[str, float] = dict(kwargs.pop("timeouts", None) or {})
        for name, opts in options.items():
            own = {k: v for k, v in opts.items() if k not in _RUNNER_KEYS}
            built[name] = create(str(opts.get("detector", name)), own)
            if "timeout_s" in opts:
                timeouts[name] = float(opts["timeout_s"])
        return cls(built, timeouts=timeouts, **kwargs)

    @classmethod
    def from_section(
        cls, section: Mapping[str, Any], *, observer: Observer | None = None
    ) -> DetectorSet:
        """Build from the config file's ``detectors:`` section.

        Every key names a detector and maps to its options (see
        :meth:`from_config`), except ``runner``, which holds this class's
        keyword arguments (``executor``, ``workers``, ``timeout_s``,
        ``cache_size``, ``segment_chars``, ``overlap_chars``,
        ``decode_payloads``). Unknown runner keys raise ``ValueError``.
        ``observer`` receives every detector event (metrics).
        """
        runner = dict(section.get("runner") or {})
        unknown = set(runner) - _SECTION_RUNNER_KEYS
        if unknown:
            raise ValueError(f"unknown detectors.runner options: {sorted(unknown)}")
        options = {k: dict(v or {}) for k, v in section.items() if k != "runner"}
        return cls.from_config(options, observer=observer, **runner)

    def kinds(self) -> Mapping[str, frozenset[str]]:
        """Detector name -> the finding kinds it emits (globs allowed)."""
        return {name: d.kinds for name, d in self._detectors.items()}

    def stats(self) -> RunnerStats:
        """A snapshot of the counters (scans, cache hits, runs, errors, timeouts)."""
        return self._stats

    def warmup(self) -> None:
        """Load and warm every detector (and the worker processes); call before ready.

        A scan before any warm-up warms up first, outside the time budgets.
        """
        with self._warm_lock:  # concurrent first scans warm up once
            if self._warmed:
                return
            heavy = {n for n, d in self._detectors.items() if d.cpu_heavy}
            for name, d in self._detectors.items():
                if not (self._pool.kind == "process" and name in heavy):
                    d.warmup()  # workers warm their own copies
            if heavy:
                self._pool.warm()
            self._warmed = True

    async def scan(self, text: str, names: Collection[str]) -> ScanResult:
        """Scan ``text`` with the detectors in ``names``; never raises for detector faults."""
        if not self._warmed:
            await asyncio.to_thread(self.warmup)
        plan = self._plan(text, names)
        if plan.todo:
            if sum(len(plan.chunks[i].text) for i in _indices(plan)) > _PREPARE_INLINE_CHARS:
                await asyncio.to_thread(self._prepare, plan)
            else:
                self._prepare(plan)
            # Detectors that stay on the loop run right here: a task, a timer
            # and a gather per detector cost more than a short window's scan
            # (stream screening calls this once per word).
            away: dict[str, list[int]] = {}
            for name, indices in plan.todo.items():
                if any(self._offload(name, i, plan, sync=False) for i in indices):
                    away[name] = indices
                else:
                    self._run_inline(plan, name, indices)
            if len(away) == 1:
                ((name, indices),) = away.items()
                await self._run_async(plan, name, indices)
            elif away:
                await asyncio.gather(*(self._run_async(plan, n, ix) for n, ix in away.items()))
        return self._finish(plan, text, names)

    def finds_nothing(self, text: str, names: Collection[str]) -> bool:
        """Whether a scan of ``text`` with ``names`` would certainly find nothing.

        A cheap pre-check for stream windows (:func:`detectors._prechecks.finds_nothing`):
        uncached and unobserved; False on any doubt (an unknown name, a heavy
        detector without ``might_match``, an error, a text the runner would
        split into chunks, a set not warmed up), so a caller scans whenever
        this says False.
        """
        if len(text) > self._segment[0] or not self._warmed:
            return False
        return prechecks.finds_nothing(self._detectors, text, names, decode=self._decode)

    def pending_from(self, text: str, names: Collection[str], kinds: Collection[str]) -> int | None:
        """Where a finding of ``kinds`` (globs) by ``names`` may still be in progress.

        See :func:`detectors._prechecks.pending_from`; a stream screener
        releases text only up to this point.
        """
        return prechecks.pending_from(self._detectors, text, names, kinds)

    def scan_sync(self, text: str, names: Collection[str]) -> ScanResult:
        """Blocking :meth:`scan` for CLI tools and benchmarks (not on an event loop).

        With ``executor="thread"`` every detector runs in the calling thread,
        so time budgets are not enforced; with processes they are.
        """
        if not self._warmed:
            self.warmup()
        plan = self._plan(text, names)
        if plan.todo:
            self._prepare(plan)
            for name, indices in plan.todo.items():
                self._run_sync(plan, name, indices)
        return self._finish(plan, text, names)

    async def aclose(self) -> None:
        """Stop the worker pool (pending work is cancelled)."""
        await asyncio.to_thread(self.close)

    def close(self) -> None:
        """Blocking :meth:`aclose`."""
        self._pool.close()

    # -- internals ---------------------------------------------------------

    def _plan(self, text: str, names: Collection[str]) -> _Plan:
        chunks = split(text, *self._segment)
        keys = [hashlib.blake2b(c.text.encode("utf-8", "surrogatepass")).digest() for c in chunks]
        plan = _Plan(chunks, keys, {}, {}, {})
        for name in names:
            detector = self._detectors.get(name)
            if detector is None:
                plan.failed[name] = "error"  # unknown name: a configuration fault
                continue
            for i, key in enumerate(keys):
                hit = self._cache.get((key, name, detector.config_key))
                if hit is None:
                    plan.todo.setdefault(name, []).append(i)
                else:
                    plan.done[(name, i)] = hit
                    plan.hits += 1
        return plan

    def _prepare(self, plan: _Plan) -> None:
        for i in _indices(plan):
            plan.prepared[i] = prepare(plan.chunks[i].text, self._decode)

    def _call(self, name: str, i: int, plan: _Plan) -> tuple[Finding, ...]:
        return detect_chunk(name, self._detectors[name], plan.prepared[i])

    def _submit(self, name: str, i: int, plan: _Plan) -> Any:
        return self._pool.submit(name, plan.prepared[i], partial(self._call, name, i, plan))

    def _dispatch(self, name: str, i: int, plan: _Plan) -> asyncio.Future[tuple[Finding, ...]]:
        return self._pool.dispatch(name, plan.prepared[i], partial(self._call, name, i, plan))

    def _offload(self, name: str, i: int, plan: _Plan, *, sync: bool) -> bool:
        """Whether this (detector, chunk) goes to the pool rather than running here.

        Only CPU-heavy detectors are offloaded, and only when their optional
        ``might_match`` pre-check says the chunk (or a decoded payload) can
        hold something: a pre-check that fails costs less than the hand-off.
        ``scan_sync`` with threads runs everything in the calling thread
        (a thread hand-off only adds latency to a blocking call).
        """
        detector = self._detectors[name]
        if not detector.cpu_heavy or (sync and self._pool.kind == "thread"):
            return False
        check = getattr(detector, "might_match", None)
        if check is None:
            return True
        chunk = plan.prepared[i]
        texts = [view_of(chunk.norm, detector), *(view_of(n, detector) for _, n in chunk.payloads)]
        return any(check(t) for t in texts)

    async def _run_async(self, plan: _Plan, name: str, indices: list[int]) -> None:
        started = time.perf_counter()
        outcome: Outcome = "ok"
        try:
            async with asyncio.timeout(self._timeouts[name]):
                away = [i for i in indices if self._offload(name, i, plan, sync=False)]
                for i in indices:
                    if i not in away:
                        self._store(plan, name, i, self._call(name, i, plan))
                futs = [self._dispatch(name, i, plan) for i in away]
                for i, res in zip(away, await asyncio.gather(*futs), strict=True):
                    self._store(plan, name, i, res)
        except TimeoutError:
            outcome = "timeout"
        except Exception as exc:
            outcome = "error"
            self._on_error(name, exc)
        self._record(plan, name, indices, outcome, started)

    def _run_inline(self, plan: _Plan, name: str, indices: list[int]) -> None:
        """Run a cheap detector in the calling thread (not interruptible, like before)."""
        started = time.perf_counter()
        outcome: Outcome = "ok"
        try:
            for i in indices:
                self._store(plan, name, i, self._call(name, i, plan))
        except Exception as exc:
            outcome = "error"
            self._on_error(name, exc)
        self._record(plan, name, indices, outcome, started)

    def _run_sync(self, plan: _Plan, name: str, indices: list[int]) -> None:
        started = time.perf_counter()
        deadline = started + self._timeouts[name]
        outcome: Outcome = "ok"
        try:
            away = [i for i in indices if self._offload(name, i, plan, sync=True)]
            futs = [(i, self._submit(name, i, plan)) for i in away]
            for i in indices:
                if i not in away:
                    self._store(plan, name, i, self._call(name, i, plan))
            for i, fut in futs:
                remaining = max(0.0, deadline - time.perf_counter())
                self._store(plan, name, i, fut.result(timeout=remaining))
        except FutureTimeout:
            outcome = "timeout"
        except Exception as exc:
            outcome = "error"
            self._on_error(name, exc)
        self._record(plan, name, indices, outcome, started)

    def _on_error(self, name: str, exc: Exception) -> None:
        log.warning("detector %s failed: %s", name, type(exc).__name__)
        if isinstance(exc, BrokenExecutor):
            # A worker died (crash, OOM kill): the next scan starts a fresh
            # pool instead of failing forever.
            self._pool.drop()

    def _store(self, plan: _Plan, name: str, i: int, found: tuple[Finding, ...]) -> None:
        plan.done[(name, i)] = found
        self._cache.put((plan.keys[i], name, self._detectors[name].config_key), found)

    def _record(
        self, plan: _Plan, name: str, indices: list[int], outcome: Outcome, started: float
    ) -> None:
        if outcome != "ok":
            plan.failed[name] = outcome
        self._count(
            runs=len(indices), errors=int(outcome == "error"), timeouts=int(outcome == "timeout")
        )
        chars = sum(len(plan.chunks[i].text) for i in indices)
        self._emit(DetectorEvent(name, outcome, time.perf_counter() - started, chars))

    def _count(self, **deltas: int) -> None:
        with self._stats_lock:
            s = self._stats
            self._stats = dataclasses.replace(
                s, **{k: getattr(s, k) + v for k, v in deltas.items()}
            )

    def _emit(self, event: DetectorEvent) -> None:
        if self._observer is not None:
            try:
                self._observer(event)
            except Exception:  # an observer must never break a scan
                log.exception("detector observer failed")

    def _finish(self, plan: _Plan, text: str, names: Collection[str]) -> ScanResult:
        found: list[Finding] = []
        for (_, i), fs in plan.done.items():
            off = plan.chunks[i].offset
            found.extend(_shift(f, off) for f in fs)
        hits = plan.hits
        for name in names:
            if name in self._detectors and name not in plan.todo:
                self._emit(DetectorEvent(name, "cached", 0.0, 0))
        self._count(scans=1, cache_hits=hits)
        return ScanResult(
            findings=tuple(merge_findings(found)),
            failed=dict(plan.failed),
            chars=len(text),
            segments=len(plan.chunks),
            cache_hits=hits,
            runs=sum(len(ix) for ix in plan.todo.values()),
        )


def _indices(plan: _Plan) -> list[int]:
    """Chunk indices some detector still has to run on."""
    return sorted({i for ix in plan.todo.values() for i in ix})


def _shift(f: Finding, offset: int) -> Finding:
    """``f`` with its span moved from chunk to whole-text coordinates."""
    if offset == 0:
        return f
    return dataclasses.replace(f, start=f.start + offset, end=f.end + offset)
