"""The detector contract: findings, the ``Detector`` protocol and the registry.

A detector turns one text segment into :class:`Finding` values. Findings carry a
namespaced ``kind`` (``pii.EMAIL_ADDRESS``, ``secret.aws_access_key``,
``misuse.cyber_crime``), a score in ``[0, 1]`` and a span into the *original*
segment text -- never the matched text itself, so nothing sensitive leaves the
detector beyond what redaction needs (the span).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast, get_args, runtime_checkable

__all__ = [
    "Detector",
    "DetectorFactory",
    "Finding",
    "TextView",
    "UnknownDetectorError",
    "available",
    "create",
    "register",
    "scans_decoded",
    "text_view",
]

#: Which form of a segment a detector is handed (see :func:`text_view`):
#: ``folded`` -- normalised and with look-alike letters folded to ASCII (the
#: default: best for matching); ``normalized`` -- NFKC with invisible, tag and
#: bidi characters removed; ``original`` -- the untouched text (for detectors
#: that look for the hidden characters themselves).
TextView = Literal["folded", "normalized", "original"]
_TEXT_VIEWS = frozenset(get_args(TextView))  # asked per detector per stream window


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a detector saw in a segment.

    ``start``/``end`` index the original (un-normalised) segment text, so a
    redaction that replaces ``text[start:end]`` hits exactly what was found.
    A finding about the whole segment (a classifier score) spans it entirely.
    """

    kind: str
    score: float
    start: int
    end: int
    detector: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score {self.score} outside [0, 1] for {self.kind}")
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"bad span ({self.start}, {self.end}) for {self.kind}")


@runtime_checkable
class Detector(Protocol):
    """What every detector provides.

    ``kinds`` lists the finding kinds it can emit (globs allowed, e.g.
    ``pii.*``) so the policy engine can tell which detectors a rule needs and
    lint unknown kinds. ``cpu_heavy`` asks the runner to execute ``detect``
    off the event loop. ``detect`` must be pure with respect to its input:
    the same text and configuration give the same findings (results are cached
    per segment hash and ``config_key``).

    Optional attributes, read with :func:`text_view` and :func:`scans_decoded`:
    ``text_view`` (which form of the text ``detect`` receives) and
    ``scans_decoded`` (whether decoded payloads are re-scanned by it); and an
    optional method ``might_match(text) -> bool``, a cheap pre-check that
    lets the runner skip the hand-off to a worker when it is false; and an
    optional method ``pending_from(text, kinds) -> int | None``, where a
    finding of ``kinds`` (globs) may still be in progress at the end of a
    stream window (``None``: nothing can still grow). Stream screening
    releases text only before that point; detectors without the method are
    held conservatively (:func:`detectors._pending.conservative_pending_from`).
    """

    name: str
    kinds: frozenset[str]
    cpu_heavy: bool
    config_key: str

    def detect(self, text: str) -> list[Finding]:
        """Return the findings for ``text`` (spans index ``text``)."""
        ...

    def warmup(self) -> None:
        """Load models and compile patterns; called once before readiness."""
        ...


def text_view(detector: object) -> TextView:
    """The view ``detector`` wants: its optional ``text_view`` attribute, else ``folded``.

    Whatever the view, the runner maps returned spans back to the original.
    """
    view = getattr(detector, "text_view", "folded")
    if view not in _TEXT_VIEWS:
        raise ValueError(f"bad text_view {view!r} on detector {getattr(detector, 'name', '?')}")
    return cast(TextView, view)


def scans_decoded(detector: object) -> bool:
    """Whether decoded payloads (base64, hex, ...) are re-scanned by ``detector``.

    Optional attribute ``scans_decoded`` (default ``True``); the obfuscation
    detector, which reports the encodings themselves, turns it off.
    """
    return bool(getattr(detector, "scans_decoded", True))


DetectorFactory = Callable[[Mapping[str, Any]], Detector]

_REGISTRY: dict[str, DetectorFactory] = {}


class UnknownDetectorError(KeyError):
    """Raised when a configuration names a detector nobody registered."""


def register(name: str, factory: DetectorFactory) -> None:
    """Register ``factory`` under ``name``; re-registering a name replaces it."""
    _REGISTRY[name] = factory


def available() -> list[str]:
    """Names of every registered detector, sorted."""
    return sorted(_REGISTRY)


def create(name: str, options: Mapping[str, Any] | None = None) -> Detector:
    """Build the detector registered as ``name`` with ``options``."""
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise UnknownDetectorError(name) from None
    return factory(dict(options or {}))
