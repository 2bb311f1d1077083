"""Splitting long texts into overlapping chunks, and merging their findings.

Long inputs are never truncated: they are cut into windows of ``size``
characters that overlap by ``overlap`` characters, so a match up to
``overlap`` long that straddles a cut is seen whole by the next window. The
truncated copy the first window may have reported is contained in the whole
one and dropped by :func:`merge_findings`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from detectors._base import Finding

__all__ = ["Chunk", "merge_findings", "split"]


@dataclass(frozen=True, slots=True)
class Chunk:
    """A window of a text: ``text`` starts at ``offset`` of the whole."""

    offset: int
    text: str


def split(text: str, size: int, overlap: int) -> list[Chunk]:
    """Cut ``text`` into windows of at most ``size`` characters overlapping by ``overlap``.

    Windows end at a whitespace when one lies in their last quarter, so words
    (and most tokens) are not cut; every character is in at least one window.
    """
    if size <= 0 or not 0 <= overlap < size:
        raise ValueError(f"bad segmentation size={size} overlap={overlap}")
    n = len(text)
    if n <= size:
        return [Chunk(0, text)]
    chunks: list[Chunk] = []
    start = 0
    while True:
        end = min(start + size, n)
        if end < n:
            cut = max(text.rfind(" ", end - size // 4, end), text.rfind("\n", end - size // 4, end))
            if cut > start + overlap:
                end = cut + 1
        chunks.append(Chunk(start, text[start:end]))
        if end >= n:
            return chunks
        start = end - overlap


def merge_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Drop duplicates and findings contained in another of the same kind.

    Sorted by ``(start, end, kind)`` so results are stable whatever order
    detectors finished in. Of exact duplicates the highest score is kept.
    """
    best: dict[tuple[str, int, int], Finding] = {}
    for f in findings:
        key = (f.kind, f.start, f.end)
        if key not in best or f.score > best[key].score:
            best[key] = f
    by_kind: dict[str, list[Finding]] = {}
    for f in best.values():
        by_kind.setdefault(f.kind, []).append(f)
    kept: list[Finding] = []
    for same in by_kind.values():
        # Longest first: a finding is dropped when an earlier (longer) one covers it.
        same.sort(key=lambda f: (-(f.end - f.start), f.start))
        outer: list[Finding] = []
        for f in same:
            if not any(o.start <= f.start and f.end <= o.end for o in outer):
                outer.append(f)
        kept.extend(outer)
    kept.sort(key=lambda f: (f.start, f.end, f.kind))
    return kept
