"""Normalisation of one text segment, with an offset map back to the original.

Detectors match on a cleaned-up view of the text, but redaction must hit the
*original* characters. :func:`normalize` builds, once per segment:

* ``text``: NFKC-normalised, with invisible characters (zero-width, soft
  hyphen, variation selectors), Unicode tag characters and bidi controls
  removed; each removed run is reported as a span of the original;
* ``folded``: ``text`` with confusable letters (Cyrillic/Greek look-alikes and
  similar) folded to ASCII, one character for one, so it shares ``text``'s
  offsets;
* an offset map so :meth:`NormalizedText.to_original` turns a span of
  ``text``/``folded`` into the span of the original it came from.

ASCII-only text (the common case) takes a fast path with an identity map.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from detectors._confusables import CONFUSABLES

__all__ = [
    "BIDI_CONTROLS",
    "INVISIBLE_CHARS",
    "NormalizedText",
    "fold_confusables",
    "is_tag_char",
    "normalize",
]

#: Zero-width and other invisible formatting characters that are stripped.
INVISIBLE_CHARS: frozenset[str] = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u200b\u200c\u200d"
    "\u2060\u2061\u2062\u2063\u2064\u3164\ufeff\uffa0"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
    + "".join(chr(c) for c in range(0xE0100, 0xE01F0))
)
#: Bidirectional controls: they reorder what a reader sees (Trojan Source).
BIDI_CONTROLS: frozenset[str] = frozenset(
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)

_FOLD_TABLE = str.maketrans(CONFUSABLES)
_WORD_RE = re.compile(r"\w+")
_SPECIAL_RE = re.compile(
    "["
    + "".join(re.escape(c) for c in sorted(INVISIBLE_CHARS | BIDI_CONTROLS))
    + "\U000e0000-\U000e007f]"
)


def is_tag_char(ch: str) -> bool:
    """True for Unicode tag characters (U+E0000..U+E007F), used to smuggle text."""
    return 0xE0000 <= ord(ch) <= 0xE007F


def _fold_word(match: re.Match[str]) -> str:
    word = match.group(0)
    # Fold a word that mixes ASCII letters with look-alikes ("paypal" with a
    # Cyrillic "a"), or one made only of look-alikes; leave real
    # Cyrillic/Greek words (which contain letters with no Latin twin) alone.
    if any("a" <= c.lower() <= "z" for c in word) or all(c in CONFUSABLES for c in word):
        return word.translate(_FOLD_TABLE)
    return word


def fold_confusables(text: str) -> str:
    """Fold look-alike letters to ASCII, one character for one (offsets unchanged).

    Only words that mix scripts, or consist solely of look-alikes, are folded,
    so genuine Cyrillic or Greek prose keeps its meaning.
    """
    if text.isascii():
        return text
    return _WORD_RE.sub(_fold_word, text)


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """A segment's normalised views plus the map back to the original.

    ``starts[i]``/``ends[i]`` give the original span of the character cluster
    that produced ``text[i]``; ``None`` means the identity map (nothing changed
    length). ``invisible``, ``tags`` and ``bidi`` are original spans of the
    removed characters, merged into runs.
    """

    original: str
    text: str
    folded: str
    starts: tuple[int, ...] | None = None
    ends: tuple[int, ...] | None = None
    invisible: tuple[tuple[int, int], ...] = ()
    tags: tuple[tuple[int, int], ...] = ()
    bidi: tuple[tuple[int, int], ...] = ()

    @property
    def changed(self) -> bool:
        """True when ``text`` differs from the original (offsets not identity)."""
        return self.starts is not None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map the span ``[start, end)`` of ``text`` to a span of ``original``.

        A span that starts or ends inside a character produced by one original
        cluster (an NFKC ligature, say) widens to cover the whole cluster.
        """
        if self.starts is None or self.ends is None:
            return start, end
        n = len(self.text)
        start = max(0, min(start, n))
        end = max(start, min(end, n))
        if start == n:
            pos = len(self.original) if n == 0 else self.ends[n - 1]
            return pos, pos
        if end == start:
            return self.starts[start], self.starts[start]
        return self.starts[start], self.ends[end - 1]


def _runs(positions: list[int]) -> tuple[tuple[int, int], ...]:
    """Merge sorted single-character positions into ``(start, end)`` runs."""
    runs: list[tuple[int, int]] = []
    for p in positions:
        if runs and runs[-1][1] == p:
            runs[-1] = (runs[-1][0], p + 1)
        else:
            runs.append((p, p + 1))
    return tuple(runs)


def normalize(original: str) -> NormalizedText:
    """Normalise ``original`` (see the module docstring); never raises."""
    if original.isascii() or (
        _SPECIAL_RE.search(original) is None and unicodedata.is_normalized("NFKC", original)
    ):
        return NormalizedText(original, original, fold_confusables(original))
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    invisible: list[int] = []
    tags: list[int] = []
    bidi: list[int] = []
    i, n = 0, len(original)
    while i < n:
        ch = original[i]
        if ch in INVISIBLE_CHARS:
            invisible.append(i)
            i += 1
            continue
        if ch in BIDI_CONTROLS:
            bidi.append(i)
            i += 1
            continue
        if is_tag_char(ch):
            tags.append(i)
            i += 1
            continue
        # A cluster is a base character and the combining marks after it, so
        # NFKC can compose them ("e" + U+0301 -> "é") and map back as a unit.
        j = i + 1
        while j < n and unicodedata.combining(original[j]):
            j += 1
        piece = unicodedata.normalize("NFKC", original[i:j])
        out.append(piece)
        starts.extend([i] * len(piece))
        ends.extend([j] * len(piece))
        i = j
    text = "".join(out)
    return NormalizedText(
        original=original,
        text=text,
        folded=fold_confusables(text),
        starts=tuple(starts),
        ends=tuple(ends),
        invisible=_runs(invisible),
        tags=_runs(tags),
        bidi=_runs(bidi),
    )
