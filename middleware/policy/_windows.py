"""Classifier windows of one streamed channel: when the costly detectors run, on what.

The learned detectors (``stream.windowed_detectors``) cost a hand-off to a
worker process per call, so a stream asks them about sentence windows, not
words. :class:`ClassifierWindows` keeps the text they have not seen yet
(plus ``overlap`` characters of context) and says when a window is due: at
the end of the stream, after ``window_chars`` new characters, or at the last
sentence end once ``smallest`` new characters have come.

When text waits for the classifiers (a ``hold`` rule needs them) each window
is decided before the stream goes on. When nothing waits (``cut`` and
``audit`` rules only), a window is decided *behind* the stream: the text
flows while a worker scores it, and the decision is reported at the first
window after it is ready (a cut then ends the stream there). At most one
window per channel is in flight; past ``4 x window_chars`` of unseen text the
stream waits for it (back-pressure), and the end of the stream always waits.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

from middleware.holdback import Window
from middleware.policy._decision import Decision

__all__ = ["ClassifierWindows"]

_SENTENCE_END = re.compile(r"[.!?\n]+(?:\s+|$)")

Decide = Callable[[str], Awaitable[Decision]]


class ClassifierWindows:
    """Windows of one channel's text for the windowed detectors (see the module docstring)."""

    def __init__(
        self,
        decide: Decide,
        *,
        window_chars: int,
        smallest: int,
        overlap: int,
        behind: bool,
    ) -> None:
        self._decide = decide
        self._window_chars = window_chars
        self._smallest = smallest
        self._overlap = overlap
        self._behind = behind
        self.classified_to = 0  # absolute offset the detectors have been asked about
        self._buffer = ""  # text from _buffer_start on: context + not yet classified
        self._buffer_start = 0
        self._seen_to = 0
        self._inflight: asyncio.Task[tuple[Decision, int]] | None = None

    async def feed(self, window: Window) -> list[tuple[Decision, int]]:
        """Decisions ready at ``window``, each with its text's offset in ``window.text``.

        The offset is negative for text released before this window (a
        decision made behind the stream).
        """
        end = window.start + len(window.text)
        if end > self._seen_to:
            self._buffer += window.text[self._seen_to - window.start :]
            self._seen_to = end
        out: list[tuple[Decision, int]] = []
        task = self._inflight
        if task is not None:
            waiting = self._seen_to - self.classified_to
            if not (task.done() or window.final or waiting >= 4 * self._window_chars):
                return out
            self._inflight = None
            decision, start = await task
            out.append((decision, start - window.start))
        due = self._take(window.final)
        if due is None:
            return out
        text, start = due
        if self._behind and not window.final:
            self._inflight = asyncio.ensure_future(self._decide_at(text, start))
            self._inflight.add_done_callback(_retrieve)
        else:
            out.append((await self._decide(text), start - window.start))
        return out

    def close(self) -> None:
        """The stream is gone: stop waiting for a window decided behind it."""
        task, self._inflight = self._inflight, None
        if task is not None:
            task.cancel()

    async def _decide_at(self, text: str, start: int) -> tuple[Decision, int]:
        return await self._decide(text), start

    def _take(self, final: bool) -> tuple[str, int] | None:
        """The next due window and its absolute start, or ``None``; advances past it."""
        buf = self._buffer
        fresh_from = self.classified_to - self._buffer_start
        fresh = len(buf) - fresh_from
        if fresh <= 0:
            return None
        cut: int | None = None
        if final or fresh >= self._window_chars:
            cut = len(buf)
        elif fresh >= self._smallest:
            ends = [m.end() for m in _SENTENCE_END.finditer(buf, fresh_from)]
            if ends and ends[-1] - fresh_from >= self._smallest:
                cut = ends[-1]
        if cut is None:
            return None
        start = self._buffer_start
        self.classified_to = start + cut
        # Keep the context the next window needs; drop the rest (bounded memory).
        keep_from = max(0, cut - self._overlap)
        self._buffer = buf[keep_from:]
        self._buffer_start += keep_from
        return buf[:cut], start


def _retrieve(task: asyncio.Task[tuple[Decision, int]]) -> None:
    """Mark a behind-the-stream decision's error as seen (the stream may be gone)."""
    if not task.cancelled():
        task.exception()
