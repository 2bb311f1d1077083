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

__all__ = ["entity_hold_from", "pattern_hold_from"]

# Entities detectors look for (card numbers, phones, ids, keys, emails, IPs)
# are runs of these characters; prose words and spaces between them are not.
_ENTITYISH = regex.compile(r"[\p{N}@:/+=_\-.#]|[\p{L}\p{N}]{12,}")
_TRAILING_RUN = regex.compile(r"(?:\S*[\p{N}@]\S*[ \t()\-.]*){1,8}\Z|\S{12,}\Z")


def pattern_hold_from(pattern: regex.Pattern[str], window: str) -> int | None:
    """Start of the earliest (partial or complete) match touching the window's end."""
    earliest: int | None = None
    for match in pattern.finditer(window, partial=True):
        if match.end() == len(window) and match.end() > match.start():
            earliest = match.start() if earliest is None else min(earliest, match.start())
    return earliest


def entity_hold_from(window: str, *, max_len: int = 128) -> int | None:
    """Conservative hold point for detectors whose patterns we cannot inspect.

    Holds the trailing run of entity-like tokens (anything with digits or
    ``@``, or one long unbroken token) and the separators between them, up to
    ``max_len`` characters; ordinary prose is released at once.
    """
    tail_start = max(0, len(window) - max_len)
    match = _TRAILING_RUN.search(window, pos=tail_start)
    if match is None or match.start() == match.end():
        return None
    if not _ENTITYISH.search(match.group()):
        return None
    return match.start()
