"""Finding and decoding encoded payloads (base64, hex, binary, URL-encoding, rot13).

An attacker can hide a secret or an injection from pattern matching by
encoding it. :func:`decode_payloads` finds blobs that decode to readable text,
bounded in count, size and nesting depth, so the runner can re-scan the
decoded text with the other detectors and report findings on the blob's span.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import urllib.parse
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Payload", "decode_payloads", "decode_tags"]

_B64_RE = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
_HEX_RE = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}){8,}(?![0-9A-Fa-f])")
_MIN_BLOB = 16  # the shortest run the three blob patterns below accept
_ESC_HEX_RE = re.compile(r"(?:\\x[0-9A-Fa-f]{2}){4,}")
# Bytes written as eight binary digits each ("01001001 01100111 ..."), at least
# eight of them: their words are too short for the blob gate below.
_BIN_RE = re.compile(r"(?<![01])[01]{8}(?:[ ,]?[01]{8}){7,}(?![01])")
# Maximal runs of URL characters, found in one linear pass. A pattern that
# requires the %XX escapes inside the run backtracks quadratically on long
# runs without them (200 ms per 8 KiB of "yyyy..."), so escapes are counted
# per run instead.
_URL_RUN = re.compile(r"[A-Za-z0-9._~+%-]+")
_PCT = re.compile(r"%[0-9A-Fa-f]{2}")
_WORD_RE = re.compile(r"[A-Za-z]+")
# Frequent English words; rot13 text has almost none, its decoding many.
_COMMON_WORDS = (
    "the be to of and a in that have i it for not on with he as you do at this but his by "
    "from they we say her she or an will my one all would there their what so up out if "
    "about who get which go me when make can like time no just him know take people into "
    "year your good some could them see other than then now look only come its over think "
    "also back after use two how our work first well way even new want because any these "
    "give day most us is are was were been has had did does please ignore instructions "
    "previous password secret key token tell show reveal system prompt all"
)
_COMMON = frozenset(_COMMON_WORDS.split())


# The rot13 of a common word: found in a text, they are the common words of
# its decoding, so the text is only decoded when it will be returned.
_COMMON_ROT13 = frozenset(codecs.encode(w, "rot13") for w in _COMMON)
_COMMON_BYTES = frozenset(w.encode() for w in _COMMON)
_COMMON_ROT13_BYTES = frozenset(w.encode() for w in _COMMON_ROT13)
# ASCII letters lowered, every other byte a space: ``split()`` then yields
# exactly the lowered ``[A-Za-z]+`` runs, all in C.
_LETTER_RUNS = bytes(
    c | 0x20 if (0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A) else 0x20 for c in range(256)
)


@dataclass(frozen=True, slots=True)
class Payload:
    """Decoded text found at ``[start, end)`` of the scanned text.

    ``encoding`` names the chain, outermost first (``"base64"``,
    ``"base64>hex"``). ``aligned`` is true when decoded offsets equal encoded
    offsets (rot13), so findings in it can keep their exact spans.
    ``original_span`` marks spans that already index the original text
    (hidden tag characters, which the normalised text no longer holds).
    """

    start: int
    end: int
    encoding: str
    text: str
    aligned: bool = False
    original_span: bool = False


def decode_tags(run: str) -> str:
    """The ASCII hidden in a run of Unicode tag characters (tag smuggling)."""
    return "".join(chr(ord(c) - 0xE0000) for c in run if 0xE0020 <= ord(c) <= 0xE007E)


def _readable(raw: bytes) -> str | None:
    """``raw`` as text if it is UTF-8 and nearly all printable, else ``None``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(text) < 6:
        return None
    printable = sum(1 for c in text if c.isprintable() or c in "\n\r\t")
    return text if printable >= 0.95 * len(text) else None


def _b64(blob: str) -> str | None:
    if len(blob.rstrip("=")) % 4 == 1:
        return None
    if blob.isalpha() or blob.isdigit() or blob.islower() or blob.isupper():
        return None  # plain words, numbers and identifiers are not base64
    padded = blob + "=" * (-len(blob) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None
    return _readable(raw)


def _hex(blob: str) -> str | None:
    try:
        return _readable(bytes.fromhex(blob.replace("\\x", "")))
    except ValueError:
        return None


def _binary(blob: str) -> str | None:
    bits = blob.replace(" ", "").replace(",", "")
    return _readable(int(bits, 2).to_bytes(len(bits) // 8, "big"))


def _url(blob: str) -> str | None:
    try:
        decoded = urllib.parse.unquote(blob, errors="strict")
    except UnicodeDecodeError:
        return None  # escapes of broken UTF-8 (a stream window can cut a sequence)
    return decoded if decoded != blob and len(decoded) >= 6 else None


def _common_counts(text: str) -> tuple[int, int, int]:
    """How many ``[A-Za-z]+`` words ``text`` has, and how many are common before and after rot13.

    Every stream window is checked, so the words are cut, lowered and
    counted in C.
    """
    if text.isascii():
        raw = text.encode("ascii").translate(_LETTER_RUNS).split()
        return (
            len(raw),
            sum(map(_COMMON_BYTES.__contains__, raw)),
            sum(map(_COMMON_ROT13_BYTES.__contains__, raw)),
        )
    # The runs are ASCII letters, so one lower() of their join is exact.
    words = " ".join(_WORD_RE.findall(text)).lower().split()
    return (
        len(words),
        sum(map(_COMMON.__contains__, words)),
        sum(map(_COMMON_ROT13.__contains__, words)),
    )


def _rot13(text: str) -> str | None:
    """The rot13 of ``text`` when it reads as English and the original does not."""
    words, before, after = _common_counts(text)
    if words < 4 or 3 * max(before, 1) > words:
        return None  # too short, or reads as English already (the decoding cannot win 3:1)
    if after >= 3 and after >= 3 * max(before, 1):
        return codecs.encode(text, "rot13")
    return None


_BLOBS = (
    (_B64_RE, _b64, "base64"),
    (_HEX_RE, _hex, "hex"),
    (_ESC_HEX_RE, _hex, "hex"),
)


# Pure and called twice per text (the runner's decoding, then the obfuscation
# detector's own): a small memo halves a stream window's decoding cost.
@lru_cache(maxsize=256)
def _scan_once(text: str, max_chars: int) -> tuple[Payload, ...]:
    found: list[Payload] = []
    # base64 and hex blobs (escaped or not) are unbroken runs of >= 16
    # characters: prose has none, and str.split is far cheaper than the scans.
    blobs = _BLOBS if max(map(len, text.split()), default=0) >= _MIN_BLOB else ()
    for regex, decoder, name in blobs:
        for m in regex.finditer(text):
            if m.end() - m.start() > max_chars:
                continue
            decoded = decoder(m.group(0))
            if decoded is not None:
                found.append(Payload(m.start(), m.end(), name, decoded))
    if "01" in text:
        for m in _BIN_RE.finditer(text):
            if m.end() - m.start() <= max_chars and (decoded := _binary(m.group(0))):
                found.append(Payload(m.start(), m.end(), "binary", decoded))
    if "%" in text:
        for m in _URL_RUN.finditer(text):
            blob = m.group(0)
            if len(blob) > max_chars or "%" not in blob or len(_PCT.findall(blob)) < 3:
                continue
            decoded = _url(blob)
            if decoded is not None:
                found.append(Payload(m.start(), m.end(), "url", decoded))
    rot = _rot13(text) if len(text) <= max_chars else None
    if rot is not None:
        found.append(Payload(0, len(text), "rot13", rot, aligned=True))
    return tuple(found)


def decode_payloads(
    text: str, *, max_depth: int = 2, max_payloads: int = 16, max_chars: int = 65536
) -> list[Payload]:
    """Encoded blobs in ``text`` that decode to readable text, nested ones included.

    A payload inside a decoded payload is reported on the outer blob's span
    with the chain in ``encoding``. At most ``max_payloads`` are returned,
    blobs longer than ``max_chars`` are skipped, and nesting stops at
    ``max_depth`` decodings.
    """
    if not _scan_once(text, max_chars):
        return []  # most text (every window of prose): no need for the frontier
    result: list[Payload] = []
    frontier = [Payload(0, len(text), "", text, aligned=True)]
    for _ in range(max_depth):
        next_frontier: list[Payload] = []
        for outer in frontier:
            for inner in _scan_once(outer.text, max_chars):
                if outer.encoding == "":
                    p = inner
                else:
                    aligned = outer.aligned and inner.aligned
                    start, end = (
                        (outer.start + inner.start, outer.start + inner.end)
                        if outer.aligned
                        else (outer.start, outer.end)
                    )
                    chain = f"{outer.encoding}>{inner.encoding}"
                    p = Payload(start, end, chain, inner.text, aligned)
                result.append(p)
                next_frontier.append(p)
                if len(result) >= max_payloads:
                    return result
        frontier = next_frontier
    return result
