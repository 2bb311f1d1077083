"""``might_match`` pre-checks and the runner's ASCII quick path never hide a finding.

A pre-check that says no must mean ``detect`` finds nothing, and the quick
path of :meth:`DetectorSet.finds_nothing` must answer as the full path does:
checked on real credentials, synthetic PII, encoded payloads and prose, cut
at many points the way stream windows are.
"""

from __future__ import annotations

import base64
import codecs
import json
from collections.abc import Iterator

import pytest

from bench.eval_data import data_dir, read_jsonl
from detectors import DetectorSet
from detectors import _prechecks as prechecks

NAMES = ("secrets", "pii", "obfuscation")
_PROSE = (
    "The harbour lights came on at dusk, and the boats drifted home slowly. "
    "My password is hunter2!, and the api key = 'sk-live-abc123def456ghi789'. "
    "Mail ann@corp.io or call +44 20 7946 0958 about card 4111 1111 1111 1111."
)


def _texts() -> Iterator[str]:
    rows = read_jsonl(data_dir() / "gitleaks_rule_examples" / "gitleaks_rule_examples.jsonl")
    yield from (r["text"] for r in rows)
    synth = json.loads((data_dir() / "presidio_synth_pii" / "synth_dataset_v2.json").read_text())
    yield from (r["full_text"] for r in synth[:300])
    yield _PROSE
    yield codecs.encode(_PROSE, "rot13")
    yield "decode this " + base64.b64encode(_PROSE.encode()).decode() + " now"


def _windows() -> Iterator[str]:
    """Every text, and its stream-like windows: prefixes of up to 80 characters."""
    for text in _texts():
        yield text
        for end in range(8, len(text), 7):
            yield text[max(0, end - 80) : end]


@pytest.fixture(scope="module")
def detector_sets() -> Iterator[tuple[DetectorSet, DetectorSet]]:
    options: dict[str, dict[str, object]] = {name: {} for name in NAMES}
    quick = DetectorSet.from_config(options, executor="thread")
    full = DetectorSet.from_config(options, executor="thread")
    for ds in (quick, full):
        ds.warmup()
    yield quick, full
    quick.close()
    full.close()


def test_a_precheck_that_says_no_means_nothing_is_found(
    detector_sets: tuple[DetectorSet, DetectorSet],
) -> None:
    quick, _ = detector_sets
    said_no = 0
    for window in _windows():
        for name in NAMES:
            detector = quick._detectors[name]
            if not detector.might_match(window):  # type: ignore[attr-defined]
                said_no += 1
                assert detector.detect(window) == [], (name, window)
    assert said_no > 1000


def test_the_quick_path_answers_as_the_full_path_does(
    detector_sets: tuple[DetectorSet, DetectorSet],
) -> None:
    quick, full = detector_sets
    quiet = loud = 0
    for window in _windows():
        got = quick.finds_nothing(window, NAMES)
        slow = prechecks.finds_nothing(full._detectors, window, NAMES, decode=True, quick=False)
        assert got == slow, window
        quiet, loud = quiet + got, loud + (not got)
    assert quiet > 500 and loud > 500  # both answers were exercised
