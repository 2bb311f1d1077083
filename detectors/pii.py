"""PII detector: presidio-analyzer pattern recognizers, optional spaCy NER.

Kinds are ``pii.<ENTITY>`` (``pii.EMAIL_ADDRESS``, ``pii.PHONE_NUMBER``, ...).
Options (all optional):

``entities``
    presidio entity names to report (default :data:`DEFAULT_ENTITIES`).
``score_threshold``
    minimum score (default 0.5); ``thresholds`` overrides it per entity.
``phone_regions``
    ISO regions phone numbers are parsed for (default :data:`DEFAULT_REGIONS`).
``custom``
    extra entities through presidio's PatternRecognizer:
    ``{"EMPLOYEE_ID": {"patterns": ["EMP-\\d{5}"], "score": 0.6, "context": ["employee"]}}``
    (reported as ``pii.EMPLOYEE_ID``).
``ner_model``
    an installed spaCy model package (e.g. ``en_core_web_sm``) to also find
    PERSON/LOCATION/NRP/ORGANIZATION; off by default. ``ner_max_chars``
    (default 20000) caps the text size NER runs on: above it only patterns
    run and a ``pii.ner_skipped`` finding (score 0) records the skip.

A cheap pre-check skips presidio entirely for text that cannot hold any
pattern entity (no digit run, no ``@``, no long alphanumeric token).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from detectors._base import Finding
from detectors._pending import (
    conservative_pending_from,
    earliest,
    entity_run_from,
    kinds_wanted,
    trailing_token_from,
)

__all__ = ["DEFAULT_ENTITIES", "DEFAULT_REGIONS", "PiiDetector", "candidate_windows"]

DEFAULT_ENTITIES: tuple[str, ...] = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "US_ITIN",
    "IP_ADDRESS",
    "MAC_ADDRESS",
    "CRYPTO",
    "UK_NHS",
    "UK_NINO",
)
DEFAULT_REGIONS: tuple[str, ...] = (
    "US",
    "GB",
    "DE",
    "FR",
    "IT",
    "ES",
    "NL",
    "BE",
    "IN",
    "CA",
    "AU",
    "BR",
    "IL",
)
# Bare digit groups (zip codes, house numbers) parse as phone numbers at 0.4;
# with a context word ("call", "phone", "fax") they score >= 0.45.
_DEFAULT_THRESHOLDS: Mapping[str, float] = {"PHONE_NUMBER": 0.45}
# A number that validates as one of these is not also reported as a phone.
_BEATS_PHONE = frozenset({"CREDIT_CARD", "US_SSN", "IBAN_CODE", "IP_ADDRESS", "US_ITIN", "UK_NHS"})

# Something a pattern entity needs: an "@", six digits close together, an
# IPv4/IPv6/MAC shape, or a long token mixing letters and digits (IBAN, wallet).
_PRECHECK = re.compile(
    r"@|\d(?:[\s().\-/+]{0,3}\d){5,}|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"
    r"|[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{0,4}){2,}"
    r"|\b(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]{8,}\b"
)

# Every _PRECHECK alternative needs one of these (an IPv6 shape needs colons):
# one cheap scan rules most prose out.
_GATE = re.compile(r"[@:\d]")

# Entities whose values start with a digit or a sign: held by the entity run,
# plus a last token of signs alone ("(" of "(555) 010-0100", "+" of "+44").
_DIGIT_LED = frozenset({"PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "US_ITIN", "UK_NHS"})
_SIGNS_ONLY = re.compile(r"[(+\[#]+")
# presidio's IBAN pattern is case-sensitive: two capitals (not after a capital
# or digit), then two digits. A trailing run of one or two capitals is held.
_IBAN_START = re.compile(r"(?<![A-Z0-9])[A-Z]{1,2}\Z")
# Entities that may start with one to three letters or a hex group
# ("AB123456C", "fe80::1", "bc1q..."): a short trailing token is held.
_SHORT_LED = frozenset({"UK_NINO", "IP_ADDRESS", "MAC_ADDRESS", "CRYPTO"})
_SHORT_TOKEN = re.compile(r"[A-Za-z]{1,3}|[0-9A-Fa-f]{1,4}|[^\sA-Za-z]+")


@lru_cache(maxsize=64)
def _wanted_entities(
    entity_kinds: frozenset[str], globs: frozenset[str]
) -> tuple[frozenset[str], bool]:
    """The entities ``globs`` name, and whether one has no known shape to hold by.

    Memoised: a stream asks on every window with the same kinds.
    """
    wanted = frozenset(k[4:] for k in kinds_wanted(entity_kinds, globs))
    return wanted, bool(wanted - _DIGIT_LED - _SHORT_LED - {"IBAN_CODE"})


class PiiDetector:
    """presidio-backed PII detector (see the module docstring for options)."""

    name = "pii"
    cpu_heavy = True

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        opts = dict(options or {})
        self.entities: tuple[str, ...] = tuple(opts.pop("entities", DEFAULT_ENTITIES))
        self.score_threshold = float(opts.pop("score_threshold", 0.5))
        self.thresholds: dict[str, float] = {
            **_DEFAULT_THRESHOLDS,
            **{str(k): float(v) for k, v in dict(opts.pop("thresholds", {})).items()},
        }
        self.phone_regions: tuple[str, ...] = tuple(opts.pop("phone_regions", DEFAULT_REGIONS))
        model = opts.pop("ner_model", None)
        self.ner_model: str | None = str(model) if model else None
        self.ner_max_chars = int(opts.pop("ner_max_chars", 20_000))
        self.custom: dict[str, dict[str, Any]] = {
            str(k): dict(v) for k, v in dict(opts.pop("custom", {})).items()
        }
        if opts:
            raise ValueError(f"unknown pii options: {sorted(opts)}")
        from detectors._presidio import NER_ENTITIES, PATTERN_ENTITIES

        bad = [e for e in self.custom if not re.fullmatch(r"[A-Z][A-Z0-9_]*", e)]
        if bad:
            raise ValueError(f"custom pii entity names must be UPPER_CASE: {bad}")
        # Candidate regexes for the pre-check; compiling also validates them.
        self._custom_res = [
            re.compile(str(rx), re.IGNORECASE)
            for spec in self.custom.values()
            for rx in spec.get("patterns", ())
        ]
        self.entities += tuple(e for e in self.custom if e not in self.entities)
        unknown = set(self.entities) - PATTERN_ENTITIES - NER_ENTITIES - set(self.custom)
        if unknown:
            raise ValueError(f"unknown pii entities: {sorted(unknown)}")
        if set(self.entities) & NER_ENTITIES and self.ner_model is None:
            raise ValueError("PERSON/LOCATION/NRP/ORGANIZATION need the ner_model option")
        self._patterns_only = not (set(self.entities) & NER_ENTITIES)
        self._entity_kinds = frozenset(f"pii.{e}" for e in self.entities)
        self.kinds = self._entity_kinds | (
            frozenset() if self.ner_model is None else frozenset({"pii.ner_skipped"})
        )
        self.config_key = (
            "pii:"
            + hashlib.sha256(
                json.dumps(
                    [
                        self.entities,
                        self.score_threshold,
                        sorted(self.thresholds.items()),
                        self.phone_regions,
                        self.ner_model,
                        self.ner_max_chars,
                        self.custom,
                    ],
                    sort_keys=True,
                ).encode()
            ).hexdigest()[:16]
        )
        self._warm = False
        self._fast: Any = None
        self._ner: Any = None

    def __getstate__(self) -> dict[str, Any]:
        # Engines are rebuilt by warmup() in a worker process, never pickled.
        state = dict(self.__dict__)
        state["_fast"] = state["_ner"] = None
        state["_warm"] = False
        return state

    def warmup(self) -> None:
        """Build the analyzers and run them once so first requests are fast."""
        if self._warm:
            return
        from detectors._presidio import PATTERN_ENTITIES, build_analyzer, load_spacy_model

        pattern = [e for e in self.entities if e in PATTERN_ENTITIES]
        if pattern or self.custom:
            self._fast = build_analyzer(
                pattern,
                phone_regions=self.phone_regions,
                nlp=load_spacy_model(None),
                ner=False,
                custom=self.custom,
            )
        if not self._patterns_only:
            self._ner = build_analyzer(
                self.entities,
                phone_regions=self.phone_regions,
                nlp=load_spacy_model(self.ner_model),
                ner=True,
                custom=self.custom,
            )
        self._warm = True
        self.detect("call 555-0100 or mail a@example.com, card 4111 1111 1111 1111")

    def might_match(self, text: str) -> bool:
        """Cheap pre-check: can ``text`` hold anything presidio would be asked for?

        The runner runs the detector in place (not on a worker) when this is
        false; ``detect`` itself returns nothing for such text.
        """
        if self.ner_model is not None or (_GATE.search(text) and _PRECHECK.search(text)):
            return True
        return any(rx.search(text) for rx in self._custom_res)

    def pending_from(self, text: str, kinds: Collection[str] = ("pii.*",)) -> int | None:
        """Where an entity of ``kinds`` (globs) may still be in progress at the end of ``text``.

        Digit-led entities (cards, SSNs, phones) are held by the entity run
        and a last token of signs; IBANs by a trailing run of one or two
        capitals; other letter-led shapes (NINO, IPv6, MAC, wallets) by a
        short last token; any other entity (e-mail, custom patterns, NER
        names) holds the unterminated last word, which more text may complete.
        """
        wanted, opaque = _wanted_entities(self._entity_kinds, frozenset(kinds))
        if not wanted:
            return None
        if self.ner_model is not None or opaque:
            return conservative_pending_from(text)
        hold = entity_run_from(text)
        start = trailing_token_from(text)
        if start is None:
            return hold
        if _SIGNS_ONLY.fullmatch(text, start):
            hold = earliest(hold, start)
        if "IBAN_CODE" in wanted:
            capitals = _IBAN_START.search(text, start)
            if capitals is not None:
                hold = earliest(hold, capitals.start())
        if wanted & _SHORT_LED and _SHORT_TOKEN.fullmatch(text, start):
            hold = earliest(hold, start)
        return hold

    def detect(self, text: str) -> list[Finding]:
        """Findings for every configured entity scoring above its threshold."""
        if not self.might_match(text):
            return []  # before warming up: the runner calls this in place, not on a worker
        if not self._warm:
            self.warmup()
        findings: list[Finding] = []
        engine = self._fast
        if self._ner is not None:
            if len(text) <= self.ner_max_chars:
                engine = self._ner
            else:
                findings.append(Finding("pii.ner_skipped", 0.0, 0, len(text), self.name))
        if engine is None:
            return findings
        raw: list[_Span] = []
        # NER needs the whole text; patterns only need the text around candidates.
        windows = (
            [(0, len(text))] if engine is self._ner else candidate_windows(text, self._custom_res)
        )
        for ws, we in windows:
            for r in engine.analyze(
                text=text[ws:we], language="en", entities=list(self.entities), score_threshold=0.0
            ):
                raw.append((r.entity_type, r.start + ws, r.end + ws, float(r.score)))
        spans = _merge_overlaps(raw)
        strong = [
            m for m in spans if m[0] in _BEATS_PHONE and not (m[1] > 0 and text[m[1] - 1] == "+")
        ]
        for entity, start, end, score in spans:
            if entity == "CREDIT_CARD" and start > 0 and text[start - 1] == "+":
                continue  # "+447700677662" is an international phone number
            if entity == "PHONE_NUMBER" and any(
                s < end and start < e and sc >= score for _, s, e, sc in strong
            ):
                continue
            # A hair of slack: presidio's context boost is float arithmetic.
            if score + 1e-9 >= self.thresholds.get(entity, self.score_threshold):
                findings.append(Finding(f"pii.{entity}", min(1.0, score), start, end, self.name))
        return findings


_Span = tuple[str, int, int, float]
# Context kept on each side of a candidate: presidio looks 5 words back.
_MARGIN = 100
_MAX_WINDOW = 800


def candidate_windows(text: str, extra: Sequence[re.Pattern[str]] = ()) -> list[tuple[int, int]]:
    """Spans of ``text`` around pattern-entity candidates, widened to whitespace.

    presidio's cost grows with text length times results (its context step
    walks every token for every result), so only these windows are analysed;
    neighbouring windows merge up to ``_MAX_WINDOW`` characters.
    """
    n = len(text)
    windows: list[tuple[int, int]] = []
    hits = sorted(
        [m.span() for m in _PRECHECK.finditer(text)]
        + [m.span() for rx in extra for m in rx.finditer(text)]
    )
    for start, end in hits:
        s, e = max(0, start - _MARGIN), min(n, end + _MARGIN)
        lo, hi = s - 64, e + 64  # widen to whitespace, but boundedly
        while s > 0 and s > lo and not text[s - 1].isspace():
            s -= 1
        while e < n and e < hi and not text[e].isspace():
            e += 1
        if windows and s <= windows[-1][1] and e - windows[-1][0] <= _MAX_WINDOW:
            windows[-1] = (windows[-1][0], max(e, windows[-1][1]))
        else:
            windows.append((s, e))
    return windows


def _merge_overlaps(results: Iterable[_Span]) -> list[_Span]:
    """Union overlapping results of the same entity (two recognizers, one number)."""
    merged: list[_Span] = []
    for entity, start, end, score in sorted(results, key=lambda r: (r[0], r[1], -r[2])):
        if merged and merged[-1][0] == entity and start < merged[-1][2]:
            _, s, e, sc = merged[-1]
            merged[-1] = (entity, s, max(e, end), max(sc, score))
        else:
            merged.append((entity, start, end, score))
    return merged
