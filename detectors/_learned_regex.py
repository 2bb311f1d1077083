"""Case-insensitive regular expressions, run fast.

Python's ``re`` with ``IGNORECASE`` is about twice as slow as a plain pattern
over lower-cased text. :class:`CaselessPattern` compiles both: the fast form
runs on ``text.lower()`` whenever lower-casing keeps every offset (it does
unless the text holds one of the few characters whose lower case is longer,
such as "İ"); otherwise the ``IGNORECASE`` form runs on the text itself. Match
offsets are the same either way.

Most lexicon and cue patterns begin with ``\b`` and a choice of words, so a
text can only match if one of its words starts with one of those words'
first letters. Each pattern works out these *word-start keys* once, from its
parsed form (:func:`_word_start_keys`: only when the pattern proves that
every match starts a word with one of them), and skips texts none of whose
words begin with a key -- most texts, for most patterns -- without running.
"""

from __future__ import annotations

import re
import re._constants as sre  # type: ignore[import-not-found]  # no stub; stable since 3.11
import re._parser as sre_parse  # type: ignore[import-not-found]  # no stub; stable since 3.11
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["CaselessPattern", "GatedPattern", "caseless", "gated", "lowered"]

_KEY_CHARS = 6  # word-start keys are at most this long
_MAX_KEYS = 4096  # a pattern with more start strings than this is not gated
_WORD_RUN = re.compile(r"\w+")
_WORD_START_ATS = (
    sre.AT_BOUNDARY,
    sre.AT_BEGINNING,
    sre.AT_BEGINNING_LINE,
    sre.AT_BEGINNING_STRING,
)
_ZERO_WIDTH = (sre.ASSERT, sre.ASSERT_NOT)


def _lower_source(src: str) -> str:
    """Lower-case the literal letters of a pattern, leaving escapes (``\\S``, ``\\W``) intact."""
    out: list[str] = []
    i = 0
    while i < len(src):
        ch = src[i]
        if ch == "\\" and i + 1 < len(src):
            out.append(src[i : i + 2])
            i += 2
            continue
        out.append(ch.lower())
        i += 1
    return "".join(out)


@dataclass(frozen=True, slots=True)
class CaselessPattern:
    """A case-insensitive pattern with a fast form for lower-cased text.

    ``keys``: word-start keys of the fast form (``None``: not gated).
    """

    slow: re.Pattern[str]
    fast: re.Pattern[str]
    keys: frozenset[str] | None = None

    def finditer(self, text: str, low: str | None) -> Iterator[re.Match[str]]:
        """Matches in ``text``; ``low`` is :func:`lowered` ``(text)``."""
        if low is None:
            return self.slow.finditer(text)
        if self.keys is not None and self.keys.isdisjoint(_word_starts(low)):
            return iter(())
        return self.fast.finditer(low)

    def search(self, text: str, low: str | None) -> re.Match[str] | None:
        """First match in ``text`` (offsets index ``text``)."""
        if low is None:
            return self.slow.search(text)
        if self.keys is not None and self.keys.isdisjoint(_word_starts(low)):
            return None
        return self.fast.search(low)

    def match(self, text: str, low: str | None, pos: int) -> re.Match[str] | None:
        """Match anchored at ``pos``."""
        return self.fast.match(low, pos) if low is not None else self.slow.match(text, pos)


@dataclass(frozen=True, slots=True)
class GatedPattern(CaselessPattern):
    """A :class:`CaselessPattern` that only runs when one of ``needles`` occurs.

    For patterns that open with a long alternation (no fast prefix scan) but
    can only match around rare words: one substring test per needle rules
    most texts out.
    """

    needles: tuple[str, ...] = ()

    def _absent(self, text: str, low: str | None) -> bool:
        probe = low if low is not None else text.lower()
        return not any(n in probe for n in self.needles)

    def finditer(self, text: str, low: str | None) -> Iterator[re.Match[str]]:
        """Matches in ``text``; none without a needle."""
        return iter(()) if self._absent(text, low) else CaselessPattern.finditer(self, text, low)

    def search(self, text: str, low: str | None) -> re.Match[str] | None:
        """First match in ``text``; none without a needle."""
        return None if self._absent(text, low) else CaselessPattern.search(self, text, low)

    def match(self, text: str, low: str | None, pos: int) -> re.Match[str] | None:
        """Match anchored at ``pos``; none without a needle."""
        return None if self._absent(text, low) else CaselessPattern.match(self, text, low, pos)


def gated(source: str, needles: tuple[str, ...], flags: int = 0) -> GatedPattern:
    """:func:`caseless`, run only when a (lower-case) needle occurs in the text."""
    c = caseless(source, flags)
    return GatedPattern(c.slow, c.fast, c.keys, needles=needles)


def caseless(source: str, flags: int = 0) -> CaselessPattern:
    """Compile ``source`` case-insensitively (plus ``flags``) in both forms."""
    fast = _lower_source(source)
    return CaselessPattern(
        re.compile(source, flags | re.IGNORECASE),
        re.compile(fast, flags),
        _word_start_keys(fast, flags),
    )


@lru_cache(maxsize=8)
def _word_starts(low: str) -> frozenset[str]:
    """The first 1..``_KEY_CHARS`` characters of every word (``\\w+`` run) of ``low``.

    Memoised: every pattern of a feature pass asks about the same text.
    """
    return frozenset(w[:k] for w in _WORD_RUN.findall(low) for k in range(1, _KEY_CHARS + 1))


def _word_start_keys(source: str, flags: int) -> frozenset[str] | None:
    """Keys one of which begins a word where every match of ``source`` starts.

    ``None`` unless the parsed pattern proves it: a word boundary (or a line
    or text start) before the first character every match consumes, and a
    known set of literal strings, starting with a word character, that every
    match begins with (each cut to its leading word characters and to
    ``_KEY_CHARS``). Anything the analysis does not know means "not gated".
    """
    if flags & (re.ASCII | re.LOCALE | re.IGNORECASE):
        return None  # another meaning of \b and \w, or of letters
    try:
        parsed = sre_parse.parse(source, flags)
        if parsed.state.flags & (re.ASCII | re.LOCALE | re.IGNORECASE):
            return None  # inline flags
        seq = list(parsed)
        if not _starts_a_word(seq):
            return None
        starts = _starts(seq, _KEY_CHARS)
    except Exception:  # the parser is CPython-internal: if it changes, do not gate
        return None
    if starts is None:
        return None
    keys = set()
    for start in starts:
        key = _leading_word_chars(start)
        if not key:
            return None
        keys.add(key)
    return frozenset(keys)


def _leading_word_chars(s: str) -> str:
    n = 0
    while n < len(s) and (s[n].isalnum() or s[n] == "_"):
        n += 1
    return s[:n]


def _starts_a_word(seq: list[Any]) -> bool:
    """Whether every match of ``seq`` starts where a word boundary or line start holds."""
    for i, (op, av) in enumerate(seq):
        if op is sre.AT:
            if av in _WORD_START_ATS:
                return True
            continue
        if op in _ZERO_WIDTH:
            continue
        if op is sre.SUBPATTERN:
            return av[1] == av[2] == 0 and _starts_a_word(list(av[3]) + seq[i + 1 :])
        if op is sre.BRANCH:
            return all(_starts_a_word(list(alt) + seq[i + 1 :]) for alt in av[1])
        return False
    return False


def _starts(seq: list[Any], room: int) -> set[str] | None:
    """Strings one of which begins every match of ``seq`` (``""``: could be anything).

    Follows literals, sets of literals, groups and alternations for up to
    ``room`` characters; ``None`` when there would be too many.
    """
    if room == 0 or not seq:
        return {""}
    op, av = seq[0]
    rest = seq[1:]
    if op is sre.AT or op in _ZERO_WIDTH:
        return _starts(rest, room)  # consumes nothing
    heads: list[str]
    if op is sre.LITERAL:
        heads = [chr(av)]
    elif op is sre.IN and all(o is sre.LITERAL for o, _ in av):
        heads = [chr(a) for _, a in av]
    elif op is sre.SUBPATTERN and av[1] == av[2] == 0:
        return _starts(list(av[3]) + rest, room)
    elif op is sre.BRANCH:
        out: set[str] = set()
        for alt in av[1]:
            got = _starts(list(alt) + rest, room)
            if got is None or "" in got:
                return None
            out |= got
            if len(out) > _MAX_KEYS:
                return None
        return out
    else:
        return {""}
    tails = _starts(rest, room - 1)
    if tails is None or len(heads) * len(tails) > _MAX_KEYS:
        tails = {""}
    return {h + t for h in heads for t in tails}


def lowered(text: str) -> str | None:
    """``text.lower()`` when it keeps every offset, else None (use the slow form)."""
    low = text.lower()
    return low if len(low) == len(text) else None
