"""Where a detector finding may still be in progress at the end of a stream window.

A stream screener releases text only once no finding can still grow over
it. Detectors say where that point is with an optional
``pending_from(text, kinds)`` method (see :class:`detectors.Detector`); the
helpers here are the shapes they are built from, and
:func:`conservative_pending_from` is the rule for detectors without one.

- the *entity run*: the trailing run of tokens with digits or ``@`` (card
  numbers, phones, ids, e-mails being typed) or one long unbroken token;
- the *trailing token*: the unterminated word at the very end (the window
  does not end in whitespace), which the next chunk may extend.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fnmatch import fnmatchcase
from functools import lru_cache, wraps

import regex

__all__ = [
    "conservative_pending_from",
    "earliest",
    "entity_run_from",
    "kinds_wanted",
    "trailing_token_from",
]

_ENTITYISH = regex.compile(r"[\p{N}@:/+=_\-.#]|[\p{L}\p{N}]{12,}")
_QUICK = re.compile(r"[\d@]")
_DIGIT_OR_AT = regex.compile(r"[\p{N}@]")
_MAX_WORD = 2048  # the default stream hold bound: no word is held longer
_MAX_RUN_WORDS = 8  # "4111 1111 1111 1111", "+44 20 7946 0958": a few words at most
_WORDS = re.compile(r"(\s+)")
_RUN_SEPARATOR_WORD = frozenset("()-.")
_RUN_GAP = frozenset(" \t")
_MEMO_MAX_CHARS = 8192  # longer texts are not stream windows: not kept alive


def _same_text_memo(fn: Callable[[str], int | None]) -> Callable[[str], int | None]:
    """``fn`` remembering its last answer, for the same string object asked again.

    A stream window is asked by several detectors' ``pending_from`` in a
    row; the identity test costs nothing, and one short string is all it
    keeps alive. Thread-safe: the remembered pair is replaced as one tuple.
    """
    last: list[tuple[str, int | None]] = [("", None)]

    @wraps(fn)
    def remembered(text: str) -> int | None:
        seen, answer = last[0]
        if seen is text:
            return answer
        answer = fn(text)
        if len(text) <= _MEMO_MAX_CHARS:
            last[0] = (text, answer)
        return answer

    return remembered


def earliest(a: int | None, b: int | None) -> int | None:
    """The smaller of two hold points (``None`` = nothing pending)."""
    if a is None:
        return b
    return a if b is None else min(a, b)


def entity_run_from(text: str, *, max_len: int = 128) -> int | None:
    """Start of the trailing run of entity-like tokens, up to ``max_len`` characters.

    Anything with digits or ``@``, or one long unbroken token, and the
    separators between such tokens; ordinary prose gives ``None``.
    """
    if max_len == 128:
        return _entity_run_128(text)
    return _entity_run_from(text, max_len)


@_same_text_memo
def _entity_run_128(text: str) -> int | None:
    return _entity_run_from(text, 128)


def _entity_run_from(text: str, max_len: int) -> int | None:
    tail_start = max(0, len(text) - max_len)
    if not _QUICK.search(text, tail_start):
        # Prose: no digit or "@" near the end; only one long token can be pending.
        start = trailing_token_from(text)
        return start if start is not None and len(text) - start >= 12 else None
    start = _trailing_run_start(text[tail_start:])
    if start is None:
        return None
    # The run may have been cut at ``tail_start`` inside a long token: hold all of it.
    return _word_start(text, tail_start + start)


def _trailing_run_start(tail: str) -> int | None:
    """Start of the trailing entity run in ``tail``, or of its long last word.

    A right-to-left walk over words (linear: a backtracking regex for the
    same shape blows up on long digit-rich tokens). Words with a digit or
    ``@`` join the run, as do words of only ``()-.``; gaps must be spaces or
    tabs (a line break ends a run); at most ``_MAX_RUN_WORDS`` entity words.
    """
    parts = _WORDS.split(tail)  # word, gap, word, ..., word ("" at an edge)
    end = len(tail)
    if parts[-1] == "":
        if len(parts) < 3 or not set(parts[-2]) <= _RUN_GAP:
            return None  # ends in a line break (or is empty): nothing pending
        end -= len(parts[-2])
        parts = parts[:-2]
    last = parts[-1]
    start: int | None = None
    count = 0
    pos = end
    for i in range(len(parts) - 1, -1, -2):
        word = parts[i]
        pos -= len(word)
        if _DIGIT_OR_AT.search(word):
            start, count = pos, count + 1
            if count == _MAX_RUN_WORDS:
                break
        elif not set(word) <= _RUN_SEPARATOR_WORD or not word:
            break
        if i == 0 or not set(parts[i - 1]) <= _RUN_GAP:
            break
        pos -= len(parts[i - 1])
    if start is not None:
        return start
    if end == len(tail) and len(last) >= 12 and _ENTITYISH.search(last):
        return end - len(last)
    return None


@_same_text_memo
def trailing_token_from(text: str) -> int | None:
    """Start of the unterminated last token (``None`` when ``text`` ends in whitespace)."""
    if not text or text[-1].isspace():
        return None
    return _word_start(text, len(text))


def _word_start(text: str, pos: int) -> int:
    """Start of the whitespace-delimited word that ends at or runs through ``pos``.

    Looks back at most ``_MAX_WORD`` characters (the screen's hold bound).
    """
    if pos == 0 or text[pos - 1].isspace():
        return pos
    # rsplit scans from the right in C: cheaper than a regex anchored at the end.
    head = text[max(0, pos - _MAX_WORD) : pos]
    return pos - len(head.rsplit(None, 1)[-1])


def conservative_pending_from(text: str) -> int | None:
    """The rule for opaque detectors: hold the entity run and the trailing token."""
    return earliest(entity_run_from(text), trailing_token_from(text))


@lru_cache(maxsize=256)
def kinds_wanted(kinds: frozenset[str], globs: frozenset[str]) -> frozenset[str]:
    """The ``kinds`` any of ``globs`` names (memoised: a stream asks on every window)."""
    return frozenset(k for k in kinds if any(fnmatchcase(k, g) for g in globs))
