"""Normalised views of a text for inline regex and keyword matching, with offset maps.

Inline patterns see the text NFKC-normalised with format characters
(zero-width, bidi controls, tag characters: Unicode category Cf) removed,
and keywords additionally case-folded, so full-width ``IGNORE`` and
``ig\u200bnore`` match ``ignore``. Every view maps its spans back to the
original text, which is what redaction rewrites.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["TextView", "keyword_pattern", "normalize_keyword", "text_view"]

#: Whitespace inside a keyword phrase matches a run of 1..3 whitespace chars
#: (bounded, so the longest possible match stays known for stream hold-back).
_SPACE = r"\s{1,3}"

#: A character trie; the key "" marks the end of a word.
_Trie = dict[str, "_Trie"]


@dataclass(frozen=True, slots=True)
class TextView:
    """``text`` derived from an original; ``src[i]`` is the original index of ``text[i]``.

    ``src`` is ``None`` when the view is index-aligned with the original.
    """

    text: str
    src: tuple[int, ...] | None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a non-empty span of the view to the original text."""
        if self.src is None:
            return start, end
        return self.src[start], self.src[end - 1] + 1


def text_view(original: str, *, fold: bool) -> TextView:
    """NFKC (and, with ``fold``, case-folded) view of ``original`` without Cf characters."""
    if original.isascii():
        # ASCII has no Cf characters and lower() keeps every index.
        return TextView(original.lower() if fold else original, None)
    out: list[str] = []
    src: list[int] = []
    for i, ch in enumerate(original):
        if unicodedata.category(ch) == "Cf":
            continue
        norm = unicodedata.normalize("NFKC", ch)
        if fold:
            norm = norm.casefold()
        out.append(norm)
        src.extend([i] * len(norm))
    return TextView("".join(out), tuple(src))


def normalize_keyword(word: str) -> str:
    """A keyword as it is matched: NFKC, case-folded, inner whitespace collapsed."""
    norm = text_view(word.strip(), fold=True).text
    return " ".join(norm.split())


def keyword_pattern(words: Iterable[str]) -> tuple[str, int]:
    """One regex matching any of ``words`` on word boundaries, and its longest match.

    The alternation is built as a trie (common prefixes shared), so the
    regex engine does at most one pass of character comparisons per start
    position instead of one per keyword.
    """
    trie: _Trie = {}
    longest = 0
    for word in words:
        norm = normalize_keyword(word)
        if not norm:
            continue
        longest = max(longest, len(norm) + 2 * norm.count(" "))
        node = trie
        for ch in norm:
            node = node.setdefault(ch, {})
        node[""] = {}
    body = _emit(trie)
    return rf"(?<!\w)(?:{body})(?!\w)", longest


def _emit(node: _Trie) -> str:
    alts = []
    for ch in sorted(k for k in node if k):
        child = node[ch]
        piece = _SPACE if ch == " " else re.escape(ch)
        alts.append(piece + _emit(child))
    if not alts:
        return ""
    group = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    if "" in node:
        return f"(?:{group})?" if len(alts) == 1 else f"{group}?"
    return group
