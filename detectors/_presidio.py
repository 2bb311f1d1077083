"""Building presidio's AnalyzerEngine offline, in code, with an explicit NLP engine.

Never presidio's default constructor: it creates a spaCy engine that
downloads ``en_core_web_lg`` at run time. Here the NLP engine wraps a spaCy
pipeline we built ourselves -- ``spacy.blank("en")`` (a tokenizer, no model)
for the fast path, or an installed model package when NER is enabled -- and
the recognizers are chosen explicitly. tldextract (used by the e-mail
recognizer) gets an extractor bound to its bundled public-suffix snapshot:
no network, no cache directory.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any, cast

import spacy
import tldextract
from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerRegistry,
)
from presidio_analyzer import predefined_recognizers as pr
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine

from detectors._phone import TollgatePhoneRecognizer

__all__ = ["NER_ENTITIES", "PATTERN_ENTITIES", "build_analyzer", "load_spacy_model"]

# Offline: the bundled snapshot only; empty URL list = never fetch; no cache dir.
_TLD = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)


class _OfflineEmailRecognizer(pr.EmailRecognizer):
    """presidio's e-mail recognizer validated with the offline extractor."""

    def validate_result(self, pattern_text: str) -> bool:
        return bool(_TLD(pattern_text).fqdn != "")


class _PrebuiltSpacyEngine(SpacyNlpEngine):
    """presidio's spaCy engine around a pipeline we built (nothing is downloaded).

    A blank pipeline has no lemmatizer; lower-cased token text stands in for
    lemmas so context words ("phone", "ssn", "card") still raise scores.
    """

    def __init__(self, nlp: Any, language: str, context_words: Collection[str] = ()) -> None:
        super().__init__(models=[{"lang_code": language, "model_name": "prebuilt"}])
        self._prebuilt = {language: nlp}
        # spaCy lists "call" (and other context words) as stop words, and
        # presidio drops stop words before matching context: keep ours.
        self._keep = frozenset(w.strip().lower() for w in context_words)

    def is_stopword(self, word: str, language: str) -> bool:
        return word.lower() not in self._keep and bool(super().is_stopword(word, language))

    def load(self) -> None:
        self.nlp = cast(Any, self._prebuilt)

    def _doc_to_nlp_artifact(self, doc: Any, language: str) -> NlpArtifacts:
        artifacts = super()._doc_to_nlp_artifact(doc, language)
        if any(not lemma for lemma in artifacts.lemmas):
            artifacts.lemmas = [t.lemma_ or t.lower_ for t in doc]
            artifacts.keywords = NlpArtifacts.set_keywords(self, artifacts.lemmas, language)
        return artifacts


class _CardRecognizer(pr.CreditCardRecognizer):
    """presidio's card recognizer plus 12-19 digit numbers of the other card ranges.

    presidio's pattern stops at 17 digits and misses Mastercard's 2-series,
    JCB 2131/1800 and 12-digit Maestro; the Luhn check still validates them.
    """

    PATTERNS = [
        *pr.CreditCardRecognizer.PATTERNS,
        Pattern("Card ranges (weak)", r"\b(?:[2-6]\d{3}|1800)(?:[- ]?\d){8,15}\b", 0.3),
    ]


_SIMPLE: Mapping[str, Callable[..., EntityRecognizer]] = {
    "EMAIL_ADDRESS": _OfflineEmailRecognizer,
    "CREDIT_CARD": _CardRecognizer,
    "IBAN_CODE": pr.IbanRecognizer,
    "US_SSN": pr.UsSsnRecognizer,
    "US_ITIN": pr.UsItinRecognizer,
    "US_PASSPORT": pr.UsPassportRecognizer,
    "US_BANK_NUMBER": pr.UsBankRecognizer,
    "ABA_ROUTING_NUMBER": pr.AbaRoutingRecognizer,
    "MEDICAL_LICENSE": pr.MedicalLicenseRecognizer,
    "IP_ADDRESS": pr.IpRecognizer,
    "MAC_ADDRESS": pr.MacAddressRecognizer,
    "URL": pr.UrlRecognizer,
    "CRYPTO": pr.CryptoRecognizer,
    "DATE_TIME": pr.DateRecognizer,
    "UK_NHS": pr.NhsRecognizer,
    "UK_NINO": pr.UkNinoRecognizer,
    "UK_PASSPORT": pr.UkPassportRecognizer,
    "CA_SIN": pr.CaSinRecognizer,
    "IN_AADHAAR": pr.InAadhaarRecognizer,
    "IN_PAN": pr.InPanRecognizer,
    "AU_TFN": pr.AuTfnRecognizer,
    "ES_NIF": pr.EsNifRecognizer,
    "IT_FISCAL_CODE": pr.ItFiscalCodeRecognizer,
    "PL_PESEL": pr.PlPeselRecognizer,
    "SG_NRIC_FIN": pr.SgFinRecognizer,
}

#: Entities the pattern recognizers can find (no model needed).
PATTERN_ENTITIES: frozenset[str] = frozenset({*_SIMPLE, "PHONE_NUMBER"})
#: Entities only a spaCy NER model finds.
NER_ENTITIES: frozenset[str] = frozenset({"PERSON", "LOCATION", "NRP", "ORGANIZATION"})


def load_spacy_model(model: str | None) -> Any:
    """``spacy.blank("en")`` for ``None``, else an installed model package or a
    saved pipeline directory (``nlp.to_disk``).

    Raises ``RuntimeError`` (never downloads) when neither exists.
    """
    if model is None:
        return spacy.blank("en")
    if not (spacy.util.is_package(model) or Path(model).is_dir()):
        raise RuntimeError(
            f"spaCy model package {model!r} is not installed; install it as a pinned "
            "package (see the README) or turn NER off"
        )
    return spacy.load(model, exclude=["parser"])


def custom_recognizer(entity: str, spec: Mapping[str, Any], language: str) -> EntityRecognizer:
    """A presidio PatternRecognizer from a config entry.

    ``spec``: ``patterns`` (regexes), ``score`` (base score, default 0.6) and
    ``context`` (words that raise the score when near a match).
    """
    score = float(spec.get("score", 0.6))
    patterns = [
        Pattern(f"{entity.lower()}_{i}", str(rx), score)
        for i, rx in enumerate(spec.get("patterns", ()))
    ]
    if not patterns:
        raise ValueError(f"custom pii entity {entity} has no patterns")
    return PatternRecognizer(
        supported_entity=entity,
        patterns=patterns,
        context=[str(w) for w in spec.get("context", ())],
        supported_language=language,
        name=f"Custom{entity.title().replace('_', '')}Recognizer",
    )


def build_analyzer(
    entities: Collection[str],
    *,
    phone_regions: Collection[str],
    nlp: Any,
    ner: bool,
    custom: Mapping[str, Mapping[str, Any]] | None = None,
    language: str = "en",
) -> AnalyzerEngine:
    """An AnalyzerEngine with only the recognizers ``entities`` (and ``custom``) need."""
    recognizers: list[EntityRecognizer] = [
        custom_recognizer(entity, spec, language) for entity, spec in (custom or {}).items()
    ]
    for entity in sorted(set(entities) & PATTERN_ENTITIES):
        if entity == "PHONE_NUMBER":
            recognizers.append(TollgatePhoneRecognizer(phone_regions, language))
        else:
            recognizers.append(_SIMPLE[entity](supported_language=language))
    if ner:
        recognizers.append(
            pr.SpacyRecognizer(
                supported_language=language,
                supported_entities=sorted(set(entities) & NER_ENTITIES),
            )
        )
    if not recognizers:
        # presidio would silently load *all* its predefined recognizers instead.
        raise ValueError("no recognizers for the requested entities")
    registry = RecognizerRegistry(recognizers=recognizers, supported_languages=[language])
    context = [w for r in recognizers for w in (getattr(r, "context", None) or ())]
    engine = _PrebuiltSpacyEngine(nlp, language, context)
    engine.load()
    # Words after a match count too ("416 60 039 office"); presidio counts the
    # suffix window from the match's first token, so it must span the number.
    enhancer = LemmaContextAwareEnhancer(context_prefix_count=5, context_suffix_count=6)
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=engine,
        supported_languages=[language],
        context_aware_enhancer=enhancer,
    )
