"""PII detector: presidio pattern recognizers, context words, offline behaviour."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from detectors import DetectorSet, create
from detectors.pii import PiiDetector


@pytest.fixture(scope="module")
def pii() -> Iterator[PiiDetector]:
    det = PiiDetector()
    det.warmup()
    yield det


def _kinds(det: PiiDetector, text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in det.detect(text)]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("write to jane.doe@example.co.uk today", "pii.EMAIL_ADDRESS", "jane.doe@example.co.uk"),
        ("my card is 4111 1111 1111 1111", "pii.CREDIT_CARD", "4111 1111 1111 1111"),
        ("ssn 536-22-8726 on file", "pii.US_SSN", "536-22-8726"),
        ("iban GB82WEST12345698765432 ok", "pii.IBAN_CODE", "GB82WEST12345698765432"),
        ("server at 192.168.10.24 is down", "pii.IP_ADDRESS", "192.168.10.24"),
        ("please call me at 415-555-0132", "pii.PHONE_NUMBER", "415-555-0132"),
    ],
)
def test_pattern_entities_are_found(pii: PiiDetector, text: str, kind: str, value: str) -> None:
    assert (kind, value) in _kinds(pii, text)


def test_context_word_lifts_a_bare_number(pii: PiiDetector) -> None:
    assert _kinds(pii, "the code was 78 651 450 yesterday") == []
    assert _kinds(pii, "phone: 78 651 450") == [("pii.PHONE_NUMBER", "78 651 450")]


def test_luhn_invalid_card_is_not_reported(pii: PiiDetector) -> None:
    assert not any(k == "pii.CREDIT_CARD" for k, _ in _kinds(pii, "card 4111 1111 1111 1112"))


def test_text_without_digits_or_at_sign_skips_presidio(pii: PiiDetector) -> None:
    calls: list[str] = []
    engine = pii._fast
    real = engine.analyze

    def spy(**kw: object) -> object:
        calls.append(str(kw["text"]))
        return real(**kw)

    engine.analyze = spy
    try:
        assert pii.detect("Tell me a story about dragons and castles.") == []
    finally:
        engine.analyze = real
    assert calls == []


def test_entities_and_thresholds_come_from_options() -> None:
    det = PiiDetector({"entities": ["EMAIL_ADDRESS"], "score_threshold": 0.9})
    assert det.kinds == frozenset({"pii.EMAIL_ADDRESS"})
    assert [f.kind for f in det.detect("a@example.com 078-05-1120")] == ["pii.EMAIL_ADDRESS"]


def test_unknown_entity_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown pii entities"):
        PiiDetector({"entities": ["NOT_A_THING"]})


def test_ner_entities_need_a_model() -> None:
    with pytest.raises(ValueError, match="ner_model"):
        PiiDetector({"entities": ["PERSON"]})


def test_ner_model_that_is_not_installed_fails_at_warmup() -> None:
    det = PiiDetector({"entities": ["PERSON"], "ner_model": "no_such_model_pkg"})
    with pytest.raises(RuntimeError, match="not installed"):
        det.warmup()


def test_no_socket_is_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    det = PiiDetector({"entities": ["EMAIL_ADDRESS", "URL"]})
    det.warmup()
    text = "mail bob@some-new-tld.example.dev or see https://docs.example.org/x"
    assert "pii.EMAIL_ADDRESS" in {f.kind for f in det.detect(text)}


def test_registered_and_spans_hit_original_text() -> None:
    ds = DetectorSet({"pii": create("pii")}, executor="thread")
    text = "mail: jo\u200bhn@exa\u200bmple.com"
    result = ds.scan_sync(text, ["pii"])
    [f] = result.findings
    assert text[f.start : f.end] == "jo\u200bhn@exa\u200bmple.com"
    ds.close()


def test_detector_pickles_without_engine(pii: PiiDetector) -> None:
    import pickle

    clone = pickle.loads(pickle.dumps(pii))
    assert clone._fast is None
    assert [f.kind for f in clone.detect("a@example.com")] == ["pii.EMAIL_ADDRESS"]


async def test_runs_in_a_worker_process() -> None:
    ds = DetectorSet.from_config({"pii": {"entities": ["EMAIL_ADDRESS"]}}, workers=1)
    ds.warmup()
    result = await ds.scan("write to ada@example.org", ["pii"])
    assert [f.kind for f in result.findings] == ["pii.EMAIL_ADDRESS"]
    assert result.failed == {}
    await ds.aclose()


def test_custom_entity_through_presidio_pattern_recognizer() -> None:
    det = PiiDetector(
        {
            "entities": ["EMAIL_ADDRESS"],
            "custom": {"EMPLOYEE_ID": {"patterns": [r"\bEMP-\d{5}\b"], "score": 0.7}},
        }
    )
    assert "pii.EMPLOYEE_ID" in det.kinds
    text = "badge EMP-12345 issued"
    assert [(f.kind, text[f.start : f.end]) for f in det.detect(text)] == [
        ("pii.EMPLOYEE_ID", "EMP-12345")
    ]


def test_custom_entity_name_must_be_upper_case() -> None:
    with pytest.raises(ValueError, match="UPPER_CASE"):
        PiiDetector({"custom": {"emp": {"patterns": ["x"]}}})


def test_homoglyph_email_is_found_on_original_span() -> None:
    ds = DetectorSet({"pii": create("pii")}, executor="thread")
    text = "reach j\u043ehn@ex\u0430mple.com today"  # Cyrillic o and a
    [f] = ds.scan_sync(text, ["pii"]).findings
    assert (f.kind, text[f.start : f.end]) == ("pii.EMAIL_ADDRESS", "j\u043ehn@ex\u0430mple.com")


def _tiny_ner_pipeline(path: Path) -> str:
    """A saved spaCy pipeline whose entity ruler knows one name (no model download)."""
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": "Ada Lovelace"}])  # type: ignore[attr-defined]
    nlp.to_disk(path)
    return str(path)


def test_ner_finds_names_with_a_local_pipeline(tmp_path: Path) -> None:
    model = _tiny_ner_pipeline(tmp_path / "ner")
    det = PiiDetector({"entities": ["PERSON", "EMAIL_ADDRESS"], "ner_model": model})
    text = "Ada Lovelace wrote to ada@example.org"
    found = {(f.kind, text[f.start : f.end]) for f in det.detect(text)}
    assert found == {("pii.PERSON", "Ada Lovelace"), ("pii.EMAIL_ADDRESS", "ada@example.org")}


def test_ner_is_skipped_and_recorded_above_the_size_cap(tmp_path: Path) -> None:
    model = _tiny_ner_pipeline(tmp_path / "ner")
    det = PiiDetector(
        {"entities": ["PERSON", "EMAIL_ADDRESS"], "ner_model": model, "ner_max_chars": 30}
    )
    text = "Ada Lovelace wrote to ada@example.org about engines"
    kinds = sorted(f.kind for f in det.detect(text))
    assert kinds == ["pii.EMAIL_ADDRESS", "pii.ner_skipped"]


def test_text_without_candidates_does_not_build_presidio() -> None:
    det = PiiDetector()
    assert det.detect("no digits or at-signs here") == []
    assert det._fast is None


def test_tldextract_uses_its_snapshot_without_cache_or_urls() -> None:
    from detectors._presidio import _TLD

    assert _TLD.suffix_list_urls == ()
    assert _TLD.fallback_to_snapshot
    assert not _TLD._cache.enabled  # nothing is written to disk


def test_whole_detector_set_works_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    ds = DetectorSet.from_config({"pii": {}, "secrets": {}, "obfuscation": {}}, executor="thread")
    ds.warmup()
    text = "mail a@example.io, key ghp_" + "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6"
    kinds = {f.kind for f in ds.scan_sync(text, ["pii", "secrets", "obfuscation"]).findings}
    assert {"pii.EMAIL_ADDRESS", "secret.github_token"} <= kinds
    ds.close()
