"""Obfuscation detector: hidden characters, look-alike letters, encoded payloads.

Kinds (spans index the original text):

``obfuscation.invisible_chars``
    zero-width and other invisible characters inside or between words
    (emoji joiners and variation selectors next to symbols are ignored).
``obfuscation.tag_smuggling``
    Unicode tag characters (U+E0000..U+E007F) carrying hidden ASCII; emoji
    subdivision flags are ignored. The hidden text is decoded and re-scanned
    by the other detectors (see :mod:`detectors._work`).
``obfuscation.bidi_control``
    bidi overrides, embeddings and isolates (Trojan Source); plain LRM/RLM
    marks, common in right-to-left text, are not reported.
``obfuscation.homoglyph_word``
    a word mixing ASCII letters with Cyrillic/Greek/Armenian look-alikes.
``obfuscation.encoded_payload``
    base64, hex, binary, URL-encoded or rot13 text that decodes to readable text
    (``meta["encoding"]``); other detectors re-scan the decoded text.

Options: ``report_encoded`` (default true).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from typing import Any

from detectors._base import Finding
from detectors._confusables import CONFUSABLE_SCRIPTS, CONFUSABLES
from detectors._payloads import decode_payloads
from detectors._pending import kinds_wanted, trailing_token_from
from detectors.normalize import INVISIBLE_CHARS, is_tag_char, normalize

__all__ = ["OVERRIDE_BIDI", "ObfuscationDetector"]

# Kinds made of non-ASCII characters only: an ASCII token cannot start one.
_HIDDEN_KINDS = frozenset(
    {"obfuscation.invisible_chars", "obfuscation.tag_smuggling", "obfuscation.bidi_control"}
)

#: Bidi controls that reorder text (not the LRM/RLM/ALM marks).
OVERRIDE_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_EMOJI_GLUE = frozenset("\u200d\ufe0e\ufe0f")
_BLACK_FLAG = "\U0001f3f4"
_WORD = re.compile(r"\w+")
_SCRIPTS = tuple(f"{s} " for s in CONFUSABLE_SCRIPTS)


def _is_wordish(ch: str) -> bool:
    return ch.isalnum() or ch in "_-@.:/"


class ObfuscationDetector:
    """Hidden-text and encoding detector (see the module docstring)."""

    name = "obfuscation"
    cpu_heavy = False
    text_view = "original"
    scans_decoded = False
    kinds = frozenset(
        {
            "obfuscation.invisible_chars",
            "obfuscation.tag_smuggling",
            "obfuscation.bidi_control",
            "obfuscation.homoglyph_word",
            "obfuscation.encoded_payload",
        }
    )

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        opts = dict(options or {})
        self.report_encoded = bool(opts.pop("report_encoded", True))
        if opts:
            raise ValueError(f"unknown obfuscation options: {sorted(opts)}")
        self.config_key = f"obfuscation:v1:{self.report_encoded}"

    def warmup(self) -> None:
        """Nothing to load."""
        self.detect("warm\u200bup")

    def pending_from(self, text: str, kinds: Collection[str] = ()) -> int | None:
        """The unterminated last token, when it could still grow into a finding of ``kinds``.

        Hidden characters (invisible, tag, bidi) are non-ASCII, so for those
        kinds only a last token with non-ASCII characters is held. Look-alike
        words and encoded blobs can begin with any plain letters: for those
        the last token is always held. ``kinds`` are globs; empty means all.
        """
        start = trailing_token_from(text)
        if start is None:
            return None
        wanted = kinds_wanted(self.kinds, frozenset(kinds)) if kinds else self.kinds
        if not wanted:
            return None
        if wanted <= _HIDDEN_KINDS and text[start:].isascii():
            return None
        return start

    def might_match(self, text: str) -> bool:
        """Cheap pre-check: ``False`` only when :meth:`detect` finds nothing in ``text``.

        ASCII text hides no characters and has no look-alikes, so only an
        encoded payload could be reported.
        """
        if not text.isascii():
            return True
        return self.report_encoded and bool(decode_payloads(text, max_depth=1))

    def detect(self, text: str) -> list[Finding]:
        """Findings on the original ``text``."""
        if text.isascii():
            return self._encoded(text) if self.report_encoded else []
        out = self._hidden(text)
        out.extend(self._homoglyphs(text))
        if self.report_encoded:
            out.extend(self._encoded(text))
        return out

    def _hidden(self, text: str) -> list[Finding]:
        out: list[Finding] = []
        i, n = 0, len(text)
        while i < n:
            ch = text[i]
            if is_tag_char(ch):
                j = i
                while j < n and is_tag_char(text[j]):
                    j += 1
                flag = i > 0 and text[i - 1] == _BLACK_FLAG
                if not flag:
                    meta = {"hidden_chars": j - i}
                    out.append(Finding("obfuscation.tag_smuggling", 0.95, i, j, self.name, meta))
                i = j
            elif ch in OVERRIDE_BIDI:
                out.append(Finding("obfuscation.bidi_control", 0.8, i, i + 1, self.name))
                i += 1
            elif ch in INVISIBLE_CHARS:
                j = i
                while j < n and text[j] in INVISIBLE_CHARS:
                    j += 1
                before = text[i - 1] if i else " "
                after = text[j] if j < n else " "
                glue = all(c in _EMOJI_GLUE for c in text[i:j])
                if (_is_wordish(before) or _is_wordish(after)) and not (
                    glue and not (before.isalnum() and after.isalnum())
                ):
                    meta = {"count": j - i}
                    out.append(Finding("obfuscation.invisible_chars", 0.7, i, j, self.name, meta))
                i = j
            else:
                i += 1
        return out

    def _homoglyphs(self, text: str) -> list[Finding]:
        out: list[Finding] = []
        for m in _WORD.finditer(text):
            word = m.group(0)
            has_ascii = any("a" <= c.lower() <= "z" for c in word)
            # Only other scripts' letters: Turkish dotless i (U+0131) is Latin.
            lookalikes = [
                c for c in word if c in CONFUSABLES and unicodedata.name(c, "").startswith(_SCRIPTS)
            ]
            if (
                has_ascii
                and lookalikes
                and all(unicodedata.category(c).startswith("L") or c.isdigit() for c in word)
            ):
                meta = {"lookalikes": len(lookalikes)}
                out.append(Finding("obfuscation.homoglyph_word", 0.8, *m.span(), self.name, meta))
        return out

    def _encoded(self, text: str) -> list[Finding]:
        norm = normalize(text)
        out: list[Finding] = []
        for p in decode_payloads(norm.text, max_depth=1):
            start, end = norm.to_original(p.start, p.end)
            score = 0.6 if p.encoding == "rot13" else 0.5
            meta = {"encoding": p.encoding}
            out.append(Finding("obfuscation.encoded_payload", score, start, end, self.name, meta))
        return out
