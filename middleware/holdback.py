"""Where a match may still be in progress at the end of a stream window.

Streaming releases text only up to the earliest point where some active
pattern could still be matching. For regular expressions this is exact: the
``regex`` module's partial matching reports a match that the end of the
text cut short. A complete match that touches the end is pending too, since
more text can extend or cancel it (``\\bkill\\b`` against "kill" + "er").
For opaque detectors (presidio, classifiers) :func:`entity_hold_from` is a
conservative rule of thumb over the characters entities are made of.
"""

from __future__ import annotations

import regex

from detectors._pending import conservative_pending_from

__all__ = ["entity_hold_from", "pattern_hold_from"]


def pattern_hold_from(pattern: regex.Pattern[str], window: str) -> int | None:
    """Start of the earliest (partial or complete) match touching the window's end."""
    earliest: int | None = None
    for match in pattern.finditer(window, partial=True):
        if match.end() == len(window) and match.end() > match.start():
            earliest = match.start() if earliest is None else min(earliest, match.start())
    return earliest


def entity_hold_from(window: str) -> int | None:
    """Conservative hold point for detectors whose patterns we cannot inspect.

    Holds the trailing run of entity-like tokens (anything with digits or
    ``@``, or one long unbroken token, up to 128 characters) and the
    unterminated last word, which more text may turn into an entity (``jo``
    + ``hn@example.com``); text that ends in prose and whitespace is released.
    Sources that know their detectors answer more precisely through
    ``pending_from`` (:class:`~middleware.policy.PrecheckSource`).
    """
    return conservative_pending_from(window)
