"""The literal alternation matches what a plain alternation matches."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from detectors._trie import literal_alternation

_WORDS = st.lists(st.text(alphabet="ab_-.", min_size=1, max_size=4), min_size=1, max_size=8)


@given(words=_WORDS, text=st.text(alphabet="ab_-. x", max_size=30))
def test_finds_a_word_exactly_when_a_plain_alternation_does(words: list[str], text: str) -> None:
    plain = re.compile("|".join(map(re.escape, words)))
    assert (literal_alternation(words).search(text) is None) == (plain.search(text) is None)


def test_prefers_the_longer_of_two_words_sharing_a_start() -> None:
    match = literal_alternation(["gh", "ghp_"]).search("a ghp_x")
    assert match is not None and match.group(0) == "ghp_"


def test_an_empty_set_never_matches() -> None:
    assert literal_alternation([]).search("anything") is None


def test_an_empty_word_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        literal_alternation(["a", ""])
