"""Tollgate's detectors: the contract, the runner and the built-in detectors.

Import :class:`DetectorSet` to scan text; :func:`create` builds a registered
detector by name. Built-in detectors are registered lazily, so importing this
package does not load presidio or spaCy until a detector is created.
"""

from __future__ import annotations

from detectors._base import (
    Detector,
    DetectorFactory,
    Finding,
    TextView,
    UnknownDetectorError,
    available,
    create,
    register,
    scans_decoded,
    text_view,
)
from detectors.normalize import NormalizedText, normalize
from detectors.runner import DetectorEvent, DetectorSet, Observer, RunnerStats, ScanResult

__all__ = [
    "Detector",
    "DetectorEvent",
    "DetectorFactory",
    "DetectorSet",
    "Finding",
    "NormalizedText",
    "Observer",
    "RunnerStats",
    "ScanResult",
    "TextView",
    "UnknownDetectorError",
    "available",
    "create",
    "normalize",
    "register",
    "scans_decoded",
    "text_view",
]
