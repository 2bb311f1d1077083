"""Running one detector over one chunk: views, decoded payloads, span mapping.

Kept free of asyncio and executors so the same function runs inline, in a
worker thread, or in a worker process (where the detectors are rebuilt once
by :func:`init_worker` and looked up by name).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeAlias

from detectors._base import Detector, Finding, scans_decoded, text_view
from detectors._payloads import Payload, decode_payloads, decode_tags
from detectors.normalize import NormalizedText, normalize

__all__ = [
    "Job",
    "JobResult",
    "PreparedChunk",
    "detect_chunk",
    "init_worker",
    "prepare",
    "view_of",
    "worker_detect_batch",
    "worker_detect_chunk",
]


@dataclass(frozen=True, slots=True)
class PreparedChunk:
    """A chunk normalised once, with its decoded payloads (each normalised too)."""

    norm: NormalizedText
    payloads: tuple[tuple[Payload, NormalizedText], ...]


def prepare(chunk: str, decode: bool, max_depth: int = 2) -> PreparedChunk:
    """Normalise ``chunk`` and, with ``decode``, find and normalise its payloads."""
    norm = normalize(chunk)
    payloads: list[Payload] = []
    if decode:
        payloads.extend(decode_payloads(norm.text, max_depth=max_depth))
        for s, e in norm.tags:  # text smuggled in Unicode tag characters
            hidden = decode_tags(chunk[s:e])
            if len(hidden) >= 3:
                payloads.append(Payload(s, e, "unicode_tags", hidden, original_span=True))
    return PreparedChunk(norm, tuple((p, normalize(p.text)) for p in payloads))


_WORKER_DETECTORS: dict[str, Detector] = {}

#: One unit of pool work: a detector (by name) and a prepared chunk.
Job: TypeAlias = "tuple[str, PreparedChunk]"
#: Findings of one job, or the exception it raised (one bad job fails alone).
JobResult: TypeAlias = "tuple[Finding, ...] | BaseException"


def view_of(norm: NormalizedText, detector: Detector) -> str:
    """The form of ``norm`` that ``detector`` asked for (its ``text_view``)."""
    view = text_view(detector)
    if view == "original":
        return norm.original
    return norm.text if view == "normalized" else norm.folded


def _to_original(norm: NormalizedText, detector: Detector, f: Finding) -> tuple[int, int]:
    if text_view(detector) == "original":
        return f.start, f.end
    return norm.to_original(f.start, f.end)


def detect_chunk(name: str, detector: Detector, chunk: PreparedChunk) -> tuple[Finding, ...]:
    """Findings of ``detector`` on ``chunk``, spans in the chunk's original text.

    Decoded payloads are scanned too (unless the detector opts out); their
    findings span the encoded blob and carry ``meta["encoded"]``. Every
    finding's ``detector`` is ``name`` (the name in the detector set).
    """
    norm = chunk.norm
    out: list[Finding] = []
    for f in detector.detect(view_of(norm, detector)):
        start, end = _to_original(norm, detector, f)
        out.append(dataclasses.replace(f, start=start, end=end, detector=name))
    if chunk.payloads and scans_decoded(detector):
        for p, inner in chunk.payloads:
            for f in detector.detect(view_of(inner, detector)):
                if p.original_span:
                    s, e = p.start, p.end
                elif p.aligned:
                    s, e = _to_original(inner, detector, f)
                    s, e = norm.to_original(p.start + s, p.start + e)
                else:
                    s, e = norm.to_original(p.start, p.end)
                meta: Mapping[str, object] = {**f.meta, "encoded": p.encoding}
                out.append(dataclasses.replace(f, start=s, end=e, detector=name, meta=meta))
    return tuple(out)


def init_worker(detectors: Mapping[str, Detector]) -> None:
    """Process-pool initializer: keep and warm up this worker's detectors."""
    _WORKER_DETECTORS.clear()
    _WORKER_DETECTORS.update(detectors)
    for d in detectors.values():
        d.warmup()


def worker_detect_chunk(name: str, chunk: PreparedChunk) -> tuple[Finding, ...]:
    """:func:`detect_chunk` for a detector registered by :func:`init_worker`."""
    return detect_chunk(name, _WORKER_DETECTORS[name], chunk)


def worker_detect_batch(jobs: list[Job]) -> list[JobResult]:
    """:func:`worker_detect_chunk` for each job; a job's exception is its result."""
    results: list[JobResult] = []
    for name, chunk in jobs:
        try:
            results.append(worker_detect_chunk(name, chunk))
        except Exception as exc:
            results.append(exc)
    return results
