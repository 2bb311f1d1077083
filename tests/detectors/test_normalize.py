"""Normalisation: cleaned views and spans that map back to the original text."""

from __future__ import annotations

from detectors.normalize import normalize


def test_ascii_text_is_identity() -> None:
    n = normalize("plain ascii text")
    assert n.text == n.original == n.folded
    assert not n.changed
    assert n.to_original(6, 11) == (6, 11)


def test_zero_width_chars_are_stripped_and_reported() -> None:
    original = "pa\u200bss\u200c\u200dword"
    n = normalize(original)
    assert n.text == "password"
    assert n.invisible == ((2, 3), (5, 7))


def test_span_maps_back_across_stripped_chars() -> None:
    original = "key: s\u200be\u200bcret!"
    n = normalize(original)
    start = n.text.index("secret")
    s, e = n.to_original(start, start + len("secret"))
    assert original[s:e] == "s\u200be\u200bcret"


def test_tag_characters_are_stripped_and_reported() -> None:
    hidden = "".join(chr(0xE0000 + ord(c)) for c in "hi")
    n = normalize("ok" + hidden + "!")
    assert n.text == "ok!"
    assert n.tags == ((2, 4),)


def test_bidi_controls_are_stripped_and_reported() -> None:
    n = normalize("a\u202eb\u202cc")
    assert n.text == "abc"
    assert n.bidi == ((1, 2), (3, 4))


def _fullwidth(ascii_text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in ascii_text)


def test_nfkc_folds_fullwidth_and_maps_back() -> None:
    wide = _fullwidth("john@example.com")
    original = "mail: " + wide
    n = normalize(original)
    assert n.text == "mail: john@example.com"
    s, e = n.to_original(6, len(n.text))
    assert original[s:e] == wide


def test_ligature_span_widens_to_whole_cluster() -> None:
    original = "x \ufb01le"  # "\ufb01" ligature -> "fi"
    n = normalize(original)
    assert n.text == "x file"
    assert n.to_original(3, 4) == (2, 3)  # just the "i" still covers the ligature


def test_combining_marks_compose() -> None:
    n = normalize("cafe\u0301 \u200b")
    assert n.text == "caf\u00e9 "
    assert n.to_original(0, 4) == (0, 5)


def test_homoglyphs_fold_with_same_offsets() -> None:
    original = "\u0440\u0430\u0443\u0440\u0430l.com"  # Cyrillic er, a, u
    n = normalize(original)
    assert n.folded == "paypal.com"
    assert len(n.folded) == len(n.text)


def test_empty_and_all_invisible_text() -> None:
    assert normalize("").text == ""
    n = normalize("\u200b\u200b")
    assert n.text == ""
    assert n.to_original(0, 0) == (2, 2)


def test_genuine_cyrillic_words_are_not_folded() -> None:
    word = "\u0434\u043e\u043c"  # "dom": its first letter has no Latin twin
    assert normalize(word).folded == word


def test_mixed_script_word_is_folded() -> None:
    assert normalize("p\u0430yp\u0430l").folded == "paypal"
