"""The hold-back window of streamed text, and where a match may still be in progress.

:class:`WindowScreen` is the generic hold-back algorithm: it re-evaluates
only the held text plus an overlap of already released text (never the
whole accumulated stream) and releases everything before the point where a
match could still be in progress.

Streaming releases text only up to the earliest point where some active
pattern could still be matching. For regular expressions this is exact: the
``regex`` module's partial matching reports a match that the end of the
text cut short. A complete match that touches the end is pending too, since
more text can extend or cancel it (``\\bkill\\b`` against "kill" + "er").
For opaque detectors (presidio, classifiers) :func:`entity_hold_from` is a
conservative rule of thumb over the characters entities are made of.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import regex

from detectors._pending import conservative_pending_from
from middleware.errors import ApiError

__all__ = [
    "StreamBlocked",
    "Window",
    "WindowScreen",
    "WindowVerdict",
    "entity_hold_from",
    "pattern_hold_from",
]

# A delta that extends a word the rules already hold waits (cheaply) for a
# boundary: what held the word's start still holds it. A delta after released
# text is screened at once, so word pieces of ordinary prose flow.
_BOUNDARY = re.compile(r"[\s.,;:!?)\]}>\"']")


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


class StreamBlocked(Exception):
    """A screen decided to block: ``error`` is what the client's error frame says."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True, slots=True)
class WindowVerdict:
    """What rules say about one window of text.

    ``redactions`` are ``(start, end, replacement)`` in window coordinates;
    ``hold_from`` is the earliest index where a match may still be in
    progress (``len(window)`` when nothing is pending); ``block`` ends the
    stream.
    """

    redactions: tuple[tuple[int, int, str], ...] = ()
    hold_from: int | None = None
    block: ApiError | None = None


@dataclass(frozen=True, slots=True)
class Window:
    """The text a screen asks the rules about.

    ``text`` starts at absolute offset ``start`` of the channel's text;
    ``text[:pending_from]`` was already released (context only) and
    ``text[pending_from:]`` is held; ``final`` means no more text will come.
    """

    text: str
    start: int
    pending_from: int
    final: bool


Evaluate = Callable[[Window], Awaitable[WindowVerdict]]


def _merge(spans: tuple[tuple[int, int, str], ...]) -> list[tuple[int, int, str]]:
    """Union overlapping spans; the longest span's replacement names the union."""
    merged: list[tuple[int, int, str]] = []
    for start, end, rep in sorted(spans):
        if merged and start < merged[-1][1]:
            p_start, p_end, p_rep = merged[-1]
            longer = rep if end - start > p_end - p_start else p_rep
            merged[-1] = (p_start, max(p_end, end), longer)
        else:
            merged.append((start, end, rep))
    return merged


class WindowScreen:
    """The hold-back algorithm over an ``evaluate(window)`` callback.

    The window is the last ``overlap`` characters of released text (for
    context, never re-released) plus the held text. ``max_hold`` bounds
    memory and latency: beyond it text is released even if a longer match
    might be in progress (set it above the longest pattern you enforce).
    """

    def __init__(
        self,
        evaluate: Evaluate,
        *,
        overlap: int = 256,
        max_hold: int = 2048,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._evaluate = evaluate
        self._on_close = on_close
        self._overlap = overlap
        self._max_hold = max_hold
        self._tail = ""
        self._pending = ""
        self._unscreened = False  # held only because a burst deferred it
        self.released_chars = 0
        self.max_held = 0

    @property
    def held(self) -> int:
        """Characters currently held back."""
        return len(self._pending)

    async def feed(self, text: str, *, defer: bool = False) -> str:
        """Hold ``text`` and release what the rules have cleared.

        With ``defer`` (more frames of a burst follow) the text is held
        unscreened: one screening of the whole burst at its last frame costs
        the same latency and far less than one per frame. ``feed("")``
        screens what is held now (the end of a burst that did not reach
        this channel again).
        """
        held_by_rules = bool(self._pending) and not self._unscreened
        self._pending += text
        self.max_held = max(self.max_held, len(self._pending))
        if len(self._pending) < self._max_hold:
            if defer:
                self._unscreened = self._unscreened or bool(text)
                return ""
            if text and held_by_rules and not _BOUNDARY.search(text):
                return ""  # more of a word the rules already hold: decide at its end
        if not self._pending:
            return ""
        return await self._screen(final=False)

    async def finish(self) -> str:
        """Screen the rest with no more text to come, and release it.

        Runs even when nothing is held, so rules that judge windows of
        already released text (``cut`` classifiers) see the stream's tail.
        """
        if not self._pending and not self._tail:
            return ""
        return await self._screen(final=True)

    def close(self) -> None:
        """The stream ended or was abandoned: release what the rules still run."""
        if self._on_close is not None:
            self._on_close()

    async def _screen(self, *, final: bool) -> str:
        window = self._tail + self._pending
        base = len(self._tail)
        start = self.released_chars - base
        self._unscreened = False
        verdict = await self._evaluate(Window(window, start, base, final))
        if verdict.block is not None:
            raise StreamBlocked(verdict.block)
        cut = len(window) if final or verdict.hold_from is None else verdict.hold_from
        cut = max(base, min(cut, len(window)))
        if len(window) - cut > self._max_hold:
            cut = len(window) - self._max_hold
        if not verdict.redactions:  # most windows: nothing to mask
            released = window[base:cut]
            self._release(window, released, cut)
            return released
        spans = _merge(verdict.redactions)
        # Never release half of a redaction: move the cut back to its start
        # (spans are merged, so one pass from the right settles it).
        for start, end, _ in reversed(spans):
            if start < cut < end:
                cut = max(base, start)
        out: list[str] = []
        pos = base
        for start, end, replacement in spans:
            if end <= base or start >= cut:
                continue  # already released (seen before) or still held
            out.append(window[pos : max(pos, start)])
            out.append(replacement)
            pos = end
        out.append(window[pos:cut])
        self._release(window, window[base:cut], cut)
        return "".join(out)

    def _release(self, window: str, released: str, cut: int) -> None:
        """Advance past ``released`` (the window's text up to ``cut``), keeping the overlap."""
        self._tail = (self._tail + released)[-self._overlap :] if self._overlap else ""
        self._pending = window[cut:]
        self.released_chars += len(released)
