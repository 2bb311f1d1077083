"""Tollgate's detectors: the contract, the runner and the built-in detectors.

Import :class:`DetectorSet` to scan text; :func:`create` builds a registered
detector by name. Built-in detectors are registered lazily, so importing this
package does not load presidio or spaCy until a detector is created.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

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

#: Built-in detectors: registry name -> "module:factory" (a class or function
#: taking the options mapping). Modules are imported only when a detector is
#: created, so importing this package loads neither presidio nor any model.
BUILTIN: dict[str, str] = {
    "injection": "detectors.injection:create_injection",
    "jailbreak": "detectors.jailbreak:create_jailbreak",
    "misuse": "detectors.misuse:create_misuse",
    "obfuscation": "detectors.obfuscation:ObfuscationDetector",
    "pii": "detectors.pii:PiiDetector",
    "secrets": "detectors.secrets:SecretsDetector",
}


def _lazy(target: str) -> DetectorFactory:
    def factory(options: Mapping[str, Any]) -> Detector:
        module, _, cls = target.partition(":")
        built: Detector = getattr(importlib.import_module(module), cls)(options)
        return built

    return factory


for _name, _target in BUILTIN.items():
    register(_name, _lazy(_target))

__all__ = [
    "BUILTIN",
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
