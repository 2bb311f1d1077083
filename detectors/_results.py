"""What a scan returns and what it reports to an observer (no text, ever)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from detectors._base import Finding

__all__ = ["DetectorEvent", "Observer", "Outcome", "RunnerStats", "ScanResult"]

#: How one detector's part of a scan ended.
Outcome = Literal["ok", "cached", "error", "timeout"]


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What one scan found, what failed, and what was scanned.

    ``findings`` span the original text, sorted by position. ``failed`` maps a
    detector name to ``"error"`` or ``"timeout"`` (its findings may then be
    partial or missing). ``chars``/``segments`` record what was scanned (the
    whole text, in that many overlapping chunks); ``cache_hits``/``runs``
    count (chunk, detector) pairs served from cache or computed.
    """

    findings: tuple[Finding, ...]
    failed: Mapping[str, str] = field(default_factory=dict)
    chars: int = 0
    segments: int = 0
    cache_hits: int = 0
    runs: int = 0


@dataclass(frozen=True, slots=True)
class DetectorEvent:
    """One detector's part in one scan, for metrics (no text, no findings)."""

    detector: str
    outcome: Outcome
    seconds: float
    chars: int


#: Called once per detector per scan; must be cheap and must not raise.
Observer = Callable[[DetectorEvent], None]


@dataclass(frozen=True, slots=True)
class RunnerStats:
    """Counters since start-up (see :meth:`DetectorSet.stats`)."""

    scans: int = 0
    cache_hits: int = 0
    runs: int = 0
    errors: int = 0
    timeouts: int = 0
