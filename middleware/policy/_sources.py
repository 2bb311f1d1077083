"""Where detector findings come from: the :class:`FindingSource` protocol and helpers.

The engine asks a source to scan one text with the named detectors. The
production source is ``detectors.DetectorSet`` (it satisfies this protocol
structurally); tests use fakes; tools without detectors use
:class:`NoDetectors`. Names a source does not provide are reported as
``"unavailable"`` by the engine, never passed to the source.
"""

from __future__ import annotations

import atexit
import json
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Protocol

import structlog

from detectors._base import Finding
from middleware import metrics

__all__ = [
    "EXPECTED_DETECTORS",
    "FindingSource",
    "NoDetectors",
    "PrecheckSource",
    "ScanOutcome",
    "SourceResult",
    "build_source",
    "globs_overlap",
    "shared_source",
    "warm_once",
]

log = structlog.get_logger("tollgate.policy")

#: The detectors Tollgate ships, with the kinds each emits; lint knows these
#: even where a deployment has not configured (or cannot load) all of them.
EXPECTED_DETECTORS: Mapping[str, frozenset[str]] = {
    "pii": frozenset({"pii.*"}),
    "secrets": frozenset({"secret.*"}),
    "obfuscation": frozenset({"obfuscation.*"}),
    "misuse": frozenset({"misuse.*"}),
    "injection": frozenset({"injection.*"}),
    "jailbreak": frozenset({"jailbreak.*"}),
}


class ScanOutcome(Protocol):
    """What a scan returns: findings spanning the scanned text, and failures."""

    @property
    def findings(self) -> tuple[Finding, ...]: ...

    @property
    def failed(self) -> Mapping[str, str]: ...


class FindingSource(Protocol):
    """Detectors by name: ``kinds()`` says what each emits; ``scan`` runs some."""

    def kinds(self) -> Mapping[str, frozenset[str]]:
        """Detector name -> the finding kinds (globs) it emits."""
        ...

    async def scan(self, text: str, names: Collection[str]) -> ScanOutcome:
        """Findings of the named detectors; failures reported, never raised."""
        ...

    def scan_sync(self, text: str, names: Collection[str]) -> ScanOutcome:
        """Blocking ``scan`` for tools (never on the event loop)."""
        ...


class PrecheckSource(Protocol):
    """A :class:`FindingSource` that can also rule a text out cheaply.

    ``finds_nothing(text, names)`` is True only when a scan of ``text`` with
    ``names`` would certainly return no findings and no failures; False means
    "scan to know". A stream screener calls it on every window and scans only
    when it says False. ``pending_from`` tells it how much of a window's end
    to hold back for findings still in progress (without it, the screener
    holds conservatively: :func:`middleware.holdback.entity_hold_from`).
    """

    def finds_nothing(self, text: str, names: Collection[str]) -> bool:
        """See the class docstring."""
        ...

    def pending_from(self, text: str, names: Collection[str], kinds: Collection[str]) -> int | None:
        """Where a finding of ``kinds`` by ``names`` may still be growing at the end of ``text``."""
        ...


@dataclass(frozen=True, slots=True)
class SourceResult:
    """A plain :class:`ScanOutcome`."""

    findings: tuple[Finding, ...] = ()
    failed: Mapping[str, str] = field(default_factory=dict)


class NoDetectors:
    """A source with no detectors: rules that need one see it as unavailable."""

    def kinds(self) -> Mapping[str, frozenset[str]]:
        """No detectors."""
        return {}

    async def scan(self, text: str, names: Collection[str]) -> ScanOutcome:
        """Nothing found; every name unavailable."""
        return self.scan_sync(text, names)

    def scan_sync(self, text: str, names: Collection[str]) -> ScanOutcome:
        """Nothing found; every name unavailable."""
        return SourceResult((), {n: "unavailable" for n in names})


def globs_overlap(a: str, b: str) -> bool:
    """Whether kind globs ``a`` and ``b`` can match a common kind (conservative)."""
    if fnmatchcase(a, b) or fnmatchcase(b, a):
        return True
    pa, pb = (g.split("*", 1)[0].split("?", 1)[0].split("[", 1)[0] for g in (a, b))
    wild_a, wild_b = pa != a, pb != b
    if wild_a and wild_b:
        return pa.startswith(pb) or pb.startswith(pa)
    return False


def build_source(section: Mapping[str, Any] | None = None) -> FindingSource:
    """The deployment's detectors from the config file's ``detectors:`` section.

    A section naming detectors builds exactly those
    (``DetectorSet.from_section``); errors propagate, since the proxy must not
    start with a configured detector silently missing. A section naming none
    (empty, or only ``runner:``) means every registered detector that can be
    built here; one that cannot (its module or model is not installed) is
    left out with a warning, and rules needing it report it unavailable.
    """
    from detectors import DetectorSet, available, create

    section = dict(section or {})
    if any(name != "runner" for name in section):
        chosen = DetectorSet.from_section(section, observer=metrics.observe_detector)
        metrics.declare_detectors(chosen.kinds())
        return chosen
    built = {}
    for name in available():
        try:
            built[name] = create(name, {})
        except Exception as exc:  # ImportError for a detector not installed, a missing model
            log.warning("detector_unavailable", detector=name, error=f"{type(exc).__name__}: {exc}")
    metrics.declare_detectors(built)
    runner = dict(section.get("runner") or {})
    return DetectorSet(built, observer=metrics.observe_detector, **runner)


_SHARED: dict[str, FindingSource] = {}
_WARMED: set[int] = set()
_LOCK = threading.Lock()


def shared_source(section: Mapping[str, Any] | None = None) -> FindingSource:
    """One :func:`build_source` per distinct detector configuration per process.

    Loading models takes seconds; apps built in one process (reloads of the
    configuration, test suites) share the detectors. Shared sources are
    closed at interpreter exit, never by one of their users.
    """
    key = json.dumps(section or {}, sort_keys=True, default=str)
    with _LOCK:
        source = _SHARED.get(key)
        if source is None:
            source = _SHARED[key] = build_source(section)
            close = getattr(source, "close", None)
            if callable(close):
                atexit.register(close)
        return source


def warm_once(source: FindingSource) -> None:
    """Call ``source.warmup()`` (if it has one) the first time only (blocking)."""
    warmup = getattr(source, "warmup", None)
    with _LOCK:
        if id(source) in _WARMED or not callable(warmup):
            return
        _WARMED.add(id(source))
    warmup()
