"""Redaction: merged spans, masks, stable placeholders, text never corrupted."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from middleware.policy import Placeholders, RedactSpan, apply_redactions, mask_label, merge_spans


def test_mask_label_comes_from_the_kind() -> None:
    assert mask_label("pii.EMAIL_ADDRESS") == "EMAIL_ADDRESS"
    assert mask_label("secret.aws_access_key") == "AWS_ACCESS_KEY"


def test_overlapping_spans_merge_and_longest_names_them() -> None:
    merged = merge_spans(
        [RedactSpan(0, 4, "A"), RedactSpan(2, 10, "LONG"), RedactSpan(12, 14, "B")]
    )
    assert [(s.start, s.end, s.label) for s in merged] == [(0, 10, "LONG"), (12, 14, "B")]


def test_replacement_goes_right_to_left_without_shifting_offsets() -> None:
    text = "mail a@b.io or c@d.io now"
    out = apply_redactions(text, [RedactSpan(15, 21, "EMAIL"), RedactSpan(5, 11, "EMAIL")])
    assert out == "mail <EMAIL> or <EMAIL> now"


def test_placeholders_are_stable_per_value_within_a_request() -> None:
    text = "a@b.io, c@d.io, a@b.io"
    spans = [RedactSpan(0, 6, "E", "placeholder"), RedactSpan(8, 14, "E", "placeholder"),
             RedactSpan(16, 22, "E", "placeholder")]  # fmt: skip
    holder = Placeholders()
    assert apply_redactions(text, spans, holder) == "<E_1>, <E_2>, <E_1>"
    assert apply_redactions("c@d.io", [RedactSpan(0, 6, "E", "placeholder")], holder) == "<E_2>"


def test_literal_mask_overrides_label() -> None:
    assert apply_redactions("secret!", [RedactSpan(0, 6, "X", mask="[REDACTED]")]) == "[REDACTED]!"


@given(
    st.text(alphabet="abc ", min_size=0, max_size=40),
    st.lists(st.tuples(st.integers(0, 45), st.integers(0, 45)), max_size=6),
)
def test_unredacted_text_survives_any_spans(text: str, raw: list[tuple[int, int]]) -> None:
    spans = [RedactSpan(min(a, b), max(a, b), "M", mask="#") for a, b in raw]
    out = apply_redactions(text, spans)
    covered: set[int] = set()
    for s in spans:
        covered.update(range(max(0, s.start), min(len(text), s.end)))
    kept = "".join(ch for i, ch in enumerate(text) if i not in covered)
    assert out.replace("#", "") == kept
