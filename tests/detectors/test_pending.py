"""Hold points for streams: the shared shapes and each cheap detector's ``pending_from``."""

from __future__ import annotations

import pytest

from detectors import DetectorSet
from detectors._pending import (
    conservative_pending_from,
    entity_run_from,
    kinds_wanted,
    trailing_token_from,
)
from detectors.obfuscation import ObfuscationDetector
from detectors.pii import PiiDetector
from tests.detectors._fakes import CountingDetector

PROSE = "The harbour was quiet in the early morning, and the boats rocked"


def test_prose_has_no_entity_run() -> None:
    assert entity_run_from(PROSE) is None


def test_entity_run_spans_the_digit_tokens_at_the_end() -> None:
    text = "call me on 555 0100 12"
    assert text[entity_run_from(text) or 0 :] == "555 0100 12"


def test_one_long_unbroken_token_is_an_entity_run() -> None:
    text = "the value Zm9vYmFyYmF6cXV4"
    assert text[entity_run_from(text) or 0 :] == "Zm9vYmFyYmF6cXV4"


def test_trailing_token_is_the_unterminated_last_word() -> None:
    assert trailing_token_from("the boats rock") == len("the boats ")
    assert trailing_token_from("the boats rock ") is None
    assert trailing_token_from("") is None


def test_conservative_rule_holds_the_last_word_too() -> None:
    assert conservative_pending_from("mail jo") == len("mail ")


def test_kinds_wanted_matches_globs() -> None:
    kinds = frozenset({"pii.EMAIL_ADDRESS", "pii.IBAN_CODE", "secret.jwt"})
    assert kinds_wanted(kinds, frozenset({"pii.*"})) == {"pii.EMAIL_ADDRESS", "pii.IBAN_CODE"}
    assert kinds_wanted(kinds, frozenset({"obfuscation.*"})) == frozenset()


FINANCIAL = ("pii.CREDIT_CARD", "pii.US_SSN", "pii.IBAN_CODE")


@pytest.fixture(scope="module")
def pii() -> PiiDetector:
    return PiiDetector({"entities": ["CREDIT_CARD", "US_SSN", "IBAN_CODE", "EMAIL_ADDRESS"]})


def test_pii_releases_prose_for_financial_kinds(pii: PiiDetector) -> None:
    assert pii.pending_from(PROSE, FINANCIAL) is None


@pytest.mark.parametrize(
    ("text", "held"),
    [
        ("pay to 4111 1111 11", "4111 1111 11"),
        ("the IBAN DE", "DE"),
        ("the IBAN is D", "D"),
        ("reach me at (", "("),
    ],
)
def test_pii_holds_a_financial_entity_being_typed(pii: PiiDetector, text: str, held: str) -> None:
    assert text[pii.pending_from(text, FINANCIAL) or 0 :] == held


def test_pii_holds_every_last_word_when_emails_are_wanted(pii: PiiDetector) -> None:
    assert pii.pending_from("write to jo", ("pii.EMAIL_ADDRESS",)) == len("write to ")


def test_pii_holds_nothing_for_kinds_it_does_not_report(pii: PiiDetector) -> None:
    assert pii.pending_from("card 4111 11", ("pii.PHONE_NUMBER",)) is None


HIDDEN = ("obfuscation.tag_smuggling", "obfuscation.bidi_control")


def test_obfuscation_releases_ascii_for_hidden_kinds() -> None:
    assert ObfuscationDetector().pending_from("the plain wor", HIDDEN) is None


def test_obfuscation_holds_a_word_with_hidden_characters() -> None:
    text = "say sec\u200bre"
    assert ObfuscationDetector().pending_from(text, HIDDEN) == len("say ")


def test_obfuscation_holds_any_last_word_for_lookalike_kinds() -> None:
    text = "log in to pay"  # "pay" + "pal" with a Cyrillic letter is one look-alike word
    held = ObfuscationDetector().pending_from(text, ("obfuscation.homoglyph_word",))
    assert held == len("log in to ")


class _HoldsFrom(CountingDetector):
    """A counting detector that reports a fixed hold point."""

    def __init__(self, at: int | None) -> None:
        super().__init__()
        self.at = at

    def pending_from(self, text: str, kinds: object = ()) -> int | None:
        return self.at


def test_detector_set_takes_the_earliest_hold() -> None:
    ds = DetectorSet({"early": _HoldsFrom(3), "late": _HoldsFrom(7)}, executor="thread")
    assert ds.pending_from("0123456789", ["early", "late"], ["*"]) == 3


def test_detector_set_holds_nothing_when_no_detector_does() -> None:
    ds = DetectorSet({"quiet": _HoldsFrom(None)}, executor="thread")
    assert ds.pending_from("0123456789", ["quiet"], ["*"]) is None


def test_detector_set_holds_conservatively_for_detectors_without_a_rule() -> None:
    ds = DetectorSet({"counting": CountingDetector()}, executor="thread")
    assert ds.pending_from("mail jo", ["counting"], ["*"]) == len("mail ")
