"""Redaction: merge spans from several rules and rewrite a text without corrupting it.

Overlapping spans are unioned into one (its label taken from the longest
part), then replaced right to left so earlier offsets stay valid. Masks are
``<LABEL>`` from the finding kind (``pii.EMAIL_ADDRESS`` -> ``<EMAIL_ADDRESS>``)
or per-request placeholders ``<EMAIL_ADDRESS_1>``: the same value gets the
same number for the whole request (prompt and response), so the model and the
client can still tell two addresses apart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from middleware.policy._decision import RedactSpan

__all__ = ["Placeholders", "apply_redactions", "mask_label", "merge_spans"]


def mask_label(kind: str) -> str:
    """The mask label of a finding kind: the part after the namespace, upper-cased."""
    tail = kind.split(".", 1)[1] if "." in kind else kind
    return tail.upper() or "REDACTED"


def merge_spans(spans: Iterable[RedactSpan]) -> tuple[RedactSpan, ...]:
    """Union overlapping spans; the longest constituent names the merged span."""
    ordered = sorted((s for s in spans if s.end > s.start), key=lambda s: (s.start, -s.end))
    merged: list[RedactSpan] = []
    leader: list[RedactSpan] = []  # the longest constituent of each merged span
    for span in ordered:
        if merged and span.start < merged[-1].end:
            cur = merged[-1]
            if span.end - span.start > leader[-1].end - leader[-1].start:
                leader[-1] = span
            lead = leader[-1]
            merged[-1] = RedactSpan(
                cur.start, max(cur.end, span.end), lead.label, lead.style, lead.mask
            )
        else:
            merged.append(span)
            leader.append(span)
    return tuple(merged)


class Placeholders:
    """Per-request numbering of redacted values: same value, same placeholder.

    Values are keyed by a hash, never kept; one instance lives for one request.
    """

    def __init__(self) -> None:
        self._numbers: dict[tuple[str, bytes], int] = {}
        self._counts: dict[str, int] = {}

    def get(self, label: str, value: str) -> str:
        """``<LABEL_n>`` for ``value``."""
        key = (label, hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest())
        number = self._numbers.get(key)
        if number is None:
            number = self._counts.get(label, 0) + 1
            self._counts[label] = number
            self._numbers[key] = number
        return f"<{label}_{number}>"


def apply_redactions(
    text: str, spans: Iterable[RedactSpan], placeholders: Placeholders | None = None
) -> str:
    """``text`` with every (merged) span replaced, right to left."""
    merged = merge_spans(
        RedactSpan(max(0, s.start), min(len(text), s.end), s.label, s.style, s.mask) for s in spans
    )
    if placeholders is None:
        placeholders = Placeholders()
    # Number placeholders in reading order, then write from the right.
    replacements = []
    for span in merged:
        if span.mask is not None:
            rep = span.mask
        elif span.style == "placeholder":
            rep = placeholders.get(span.label, text[span.start : span.end])
        else:
            rep = f"<{span.label}>"
        replacements.append((span, rep))
    out = text
    for span, rep in reversed(replacements):
        out = out[: span.start] + rep + out[span.end :]
    return out
