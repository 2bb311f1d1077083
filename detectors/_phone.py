"""Phone numbers for presidio: one regex pass, libphonenumber per candidate.

presidio's PhoneRecognizer runs libphonenumber's matcher over the whole text
once per region -- most of the PII cost (13 regions: ~0.4 s on 4 KB of
contact data). This recognizer finds phone-shaped candidates with one regex,
then asks libphonenumber whether a candidate is a valid number in any
configured region (score 0.4, as presidio's). A phone-shaped number that no
numbering plan accepts ("call me at 78 651 450") scores 0.15: below every
sensible threshold unless a context word ("phone", "call", "fax") lifts it.
"""

from __future__ import annotations

import re
from collections.abc import Collection

import phonenumbers
from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer import predefined_recognizers as pr
from presidio_analyzer.nlp_engine import NlpArtifacts

__all__ = ["TollgatePhoneRecognizer"]

_CANDIDATE = re.compile(
    r"(?<![\w+.-])(?:\+|00)?(?:\d{1,4}|\(\d{1,4}\))"
    r"(?:[ .-]?(?:\(\d{1,4}\)|\d{1,5})){1,5}(?:\s?(?:x|ext\.?)\s?\d{1,5})?(?!\w|-\d)"
)
_EXTENSION = re.compile(r"\s?(?:x|ext\.?)\s?\d")
_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4}")
_CONTEXT = [
    "phone",
    "telephone",
    "cell",
    "cellphone",
    "mobile",
    "call",
    "number",
    "fax",
    "desk",
    "office",
    "contact",
    "whatsapp",
    "sms",
    "messages",
    "answering",
    "dial",
    "reach",
]


class TollgatePhoneRecognizer(pr.PhoneRecognizer):
    """Phone numbers: validated ones at 0.4, phone-shaped ones at 0.15 (context only)."""

    VALID_SCORE = 0.4
    SHAPE_SCORE = 0.15

    def __init__(self, regions: Collection[str], supported_language: str = "en") -> None:
        super().__init__(
            context=_CONTEXT,
            supported_language=supported_language,
            supported_regions=tuple(regions),
        )

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Phone candidates in ``text`` with their base scores (context comes later)."""
        results: list[RecognizerResult] = []
        for m in _CANDIDATE.finditer(text):
            core = _EXTENSION.split(m.group(0))[0]
            digits = sum(c.isdigit() for c in core)
            if not 7 <= digits <= 15 or _DATE.search(core):
                continue
            score = self.VALID_SCORE if self._valid(core) else self.SHAPE_SCORE
            results.append(
                RecognizerResult(
                    entity_type="PHONE_NUMBER",
                    start=m.start(),
                    end=m.end(),
                    score=score,
                    analysis_explanation=AnalysisExplanation(
                        recognizer=type(self).__name__,
                        original_score=score,
                        textual_explanation="phone-shaped number",
                    ),
                    # The context step finds this recognizer's words by these keys.
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: vars(self)["name"],
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
            )
        return list(EntityRecognizer.remove_duplicates(results))

    def _valid(self, number: str) -> bool:
        regions = (None,) if number.lstrip().startswith("+") else self.supported_regions
        for region in regions:
            try:
                parsed = phonenumbers.parse(number, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(parsed):
                return True
        return False
