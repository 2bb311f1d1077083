"""Word-start keys: gating a caseless pattern never changes what it finds."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench._learned_data import load_all
from detectors._learned_cues import CUES
from detectors._learned_lexicon import GROUPS, MISUSE_CATEGORIES
from detectors._learned_regex import CaselessPattern, caseless, lowered

PATTERNS: dict[str, CaselessPattern] = {
    **{f"cue:{c.name}": c.pattern for c in CUES},
    **{f"topic:{n}": p for n, p in MISUSE_CATEGORIES.items()},
    "groups": GROUPS,
}


def _ungated(pattern: CaselessPattern, low: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.fast.finditer(low)]


def _gated(pattern: CaselessPattern, text: str, low: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text, low)]


def test_most_lexicon_and_cue_patterns_are_gated() -> None:
    gated = [name for name, p in PATTERNS.items() if p.keys is not None]
    assert len(gated) >= 0.75 * len(PATTERNS)


def test_gating_finds_what_the_pattern_finds_on_the_labelled_data() -> None:
    examples = load_all()
    sample = random.Random(7).sample(examples, min(1500, len(examples)))
    skipped = 0
    for ex in sample:
        low = lowered(ex.text)
        if low is None:
            continue
        for name, pattern in PATTERNS.items():
            got = _gated(pattern, ex.text, low)
            assert got == _ungated(pattern, low), (name, ex.text[:80])
            skipped += pattern.keys is not None and not got
    assert skipped > 10_000  # the gate did turn texts away


_WORDS = sorted(
    {w for p in PATTERNS.values() for w in (p.keys or ())}
    | {"the", "a", "how", "to", "kill", "process", "ignore", "all", "previous", "instructions"}
)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(_WORDS), st.sampled_from(["", " ", "s ", "ing ", "-", ". ", "\n"])
        ),
        max_size=30,
    )
)
def test_gating_finds_what_the_pattern_finds_on_lexicon_word_salad(
    parts: list[tuple[str, str]],
) -> None:
    text = "".join(w + sep for w, sep in parts)
    for name, pattern in PATTERNS.items():
        assert _gated(pattern, text, text) == _ungated(pattern, text), name


@pytest.mark.parametrize(
    "source",
    [
        r"kill",  # no word boundary: may start inside a word ("skill")
        r"(?i)\bkill",  # inline flags
        r"\bkill|harm",  # one branch without a boundary
        r"\b\w+ing",  # no literal start
        r"\b(?:kill|)",  # an empty alternative
        r"\b-kill",  # starts with a non-word character
    ],
)
def test_patterns_that_cannot_prove_a_word_start_are_not_gated(source: str) -> None:
    assert caseless(source).keys is None


def test_keys_follow_groups_and_branches_to_their_first_letters() -> None:
    keys = caseless(r"\b(?<!flea )(evade|bypass\w*) (antivirus|edr)|\bc-4\b").keys
    assert keys == frozenset({"evade", "bypass", "c"})


def test_a_text_without_a_key_word_start_is_turned_away() -> None:
    pattern = caseless(r"\b(hack\w*|malware)\b")
    assert pattern.keys == frozenset({"hack", "malwar"})
    assert list(pattern.finditer("Shackles and malwares", "shackles and malwares")) == []
    [m] = pattern.finditer("We hacked it", "we hacked it")
    assert m.group(0) == "hacked"
    assert re.compile(r"\b(hack\w*|malware)\b").search("shackles") is None
