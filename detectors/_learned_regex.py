"""Case-insensitive regular expressions, run fast.

Python's ``re`` with ``IGNORECASE`` is about twice as slow as a plain pattern
over lower-cased text. :class:`CaselessPattern` compiles both: the fast form
runs on ``text.lower()`` whenever lower-casing keeps every offset (it does
unless the text holds one of the few characters whose lower case is longer,
such as "İ"); otherwise the ``IGNORECASE`` form runs on the text itself. Match
offsets are the same either way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["CaselessPattern", "GatedPattern", "caseless", "gated", "lowered"]


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
    """A case-insensitive pattern with a fast form for lower-cased text."""

    slow: re.Pattern[str]
    fast: re.Pattern[str]

    def finditer(self, text: str, low: str | None) -> Iterator[re.Match[str]]:
        """Matches in ``text``; ``low`` is :func:`lowered` ``(text)``."""
        return self.fast.finditer(low) if low is not None else self.slow.finditer(text)

    def search(self, text: str, low: str | None) -> re.Match[str] | None:
        """First match in ``text`` (offsets index ``text``)."""
        return self.fast.search(low) if low is not None else self.slow.search(text)

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
    return GatedPattern(c.slow, c.fast, needles)


def caseless(source: str, flags: int = 0) -> CaselessPattern:
    """Compile ``source`` case-insensitively (plus ``flags``) in both forms."""
    return CaselessPattern(
        re.compile(source, flags | re.IGNORECASE), re.compile(_lower_source(source), flags)
    )


def lowered(text: str) -> str | None:
    """``text.lower()`` when it keeps every offset, else None (use the slow form)."""
    low = text.lower()
    return low if len(low) == len(text) else None
