"""Cheap questions a stream screener asks about each window, before any scan.

:func:`finds_nothing` proves that a scan would find nothing (most windows of
prose), :func:`pending_from` says where a finding may still be growing at the
end of the window. Both run in the caller's thread, uncached and unobserved:
they are asked once per streamed word, so they must cost less than the
bookkeeping of a scan.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from detectors._base import Detector
from detectors._payloads import decode_payloads
from detectors._pending import conservative_pending_from, earliest
from detectors._work import detect_chunk, prepare, view_of

__all__ = ["finds_nothing", "pending_from", "quick_nothing"]


def finds_nothing(
    detectors: Mapping[str, Detector],
    text: str,
    names: Collection[str],
    *,
    decode: bool,
    quick: bool = True,
) -> bool:
    """Whether scanning ``text`` with the detectors ``names`` would certainly find nothing.

    ``text`` is normalised and (with ``decode``) decoded once; cheap
    detectors run on it here, CPU-heavy ones answer through their
    ``might_match`` (on the text and every decoded payload). ASCII text first
    tries :func:`quick_nothing` (``quick=False`` skips it). False on any
    doubt: an unknown name, a heavy detector without ``might_match``, an
    error (the full scan reports it).
    """
    if quick and text.isascii():
        answer = quick_nothing(detectors, text, names, decode=decode)
        if answer is not None:
            return answer
    chunk = prepare(text, decode)
    for name in names:
        detector = detectors.get(name)
        if detector is None:
            return False
        try:
            if detector.cpu_heavy:
                check = getattr(detector, "might_match", None)
                if check is None:
                    return False
                views = (chunk.norm, *(n for _, n in chunk.payloads))
                if any(check(view_of(n, detector)) for n in views):
                    return False
            elif detect_chunk(name, detector, chunk):
                return False
        except Exception:
            return False
    return True


def quick_nothing(
    detectors: Mapping[str, Detector], text: str, names: Collection[str], *, decode: bool
) -> bool | None:
    """:func:`finds_nothing` for an ASCII ``text`` without decoding objects; ``None``: unsure.

    ASCII text normalises to itself and has no hidden tag text, so when it
    decodes to no payload every detector sees ``text`` alone, and a
    ``might_match`` that says no proves its ``detect`` finds nothing.
    Anything else (a payload, a detector without the pre-check, a pre-check
    that says maybe) is left to the full check.
    """
    if decode and decode_payloads(text):
        return None
    for name in names:
        detector = detectors.get(name)
        if detector is None:
            return False
        check = getattr(detector, "might_match", None)
        try:
            if check is None or check(text):
                return None
        except Exception:
            return False
    return True


def pending_from(
    detectors: Mapping[str, Detector], text: str, names: Collection[str], kinds: Collection[str]
) -> int | None:
    """Where a finding of ``kinds`` (globs) by ``names`` may still be in progress.

    The earliest hold point of the named detectors' ``pending_from``
    (:func:`~detectors._pending.conservative_pending_from` for detectors
    without one); ``None`` when none can still be growing at the end of
    ``text``.
    """
    hold: int | None = None
    for name in names:
        detector = detectors.get(name)
        method = getattr(detector, "pending_from", None)
        got = conservative_pending_from(text) if method is None else method(text, kinds)
        hold = earliest(hold, got)
    return hold
