"""Opt-in masked excerpts: a little context around each input finding, the finding masked.

Only with ``audit.include_redacted_excerpts: true``. Every finding span that
falls inside an excerpt is replaced by ``[kind]``, so an excerpt never holds
the detected text itself; context characters around it are kept (up to
``excerpt_context_chars`` on each side) to help a reviewer judge the hit.
Output text is not kept by the proxy, so excerpts cover the input only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from middleware.adapters import Segment
from middleware.audit._events import get_field

__all__ = ["masked_excerpts"]

_MAX_EXCERPTS = 20


def _spans(record: Any) -> list[tuple[int, int, int, str]]:
    decision = get_field(record, "input")
    out: list[tuple[int, int, int, str]] = []
    for group in ("matches", "monitored"):
        for hit in get_field(decision, group, ()) or ():
            for span in get_field(hit, "spans", ()) or ():
                seg = get_field(span, "segment")
                start, end = get_field(span, "start"), get_field(span, "end")
                kind = get_field(span, "kind", "finding")
                if isinstance(seg, int) and isinstance(start, int) and isinstance(end, int):
                    out.append((seg, start, end, str(kind)))
    return sorted(set(out))


def masked_excerpts(
    segments: Sequence[Segment], record: Any, context_chars: int
) -> list[dict[str, Any]]:
    """Masked excerpts around the input findings of ``record`` (at most 20)."""
    spans = _spans(record)
    out: list[dict[str, Any]] = []
    for seg_index, start, end, kind in spans:
        if seg_index >= len(segments) or len(out) >= _MAX_EXCERPTS:
            continue
        text = segments[seg_index].text
        lo, hi = max(0, start - context_chars), min(len(text), end + context_chars)
        # Every span overlapping the window is masked, not just this one.
        inside = [s for s in spans if s[0] == seg_index and s[1] < hi and s[2] > lo]
        pieces: list[str] = []
        pos = lo
        for _, s_start, s_end, s_kind in sorted(inside, key=lambda s: s[1]):
            s_start, s_end = max(s_start, lo), min(s_end, hi)
            if s_start < pos:
                pos = max(pos, s_end)
                continue
            pieces.append(text[pos:s_start])
            pieces.append(f"[{s_kind}]")
            pos = s_end
        pieces.append(text[pos:hi])
        out.append(
            {
                "segment": seg_index,
                "role": segments[seg_index].role,
                "kind": kind,
                "excerpt": ("…" if lo > 0 else "")
                + "".join(pieces)
                + ("…" if hi < len(text) else ""),
            }
        )
    return out
