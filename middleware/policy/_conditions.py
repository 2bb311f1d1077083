"""Compiled conditions: a tree of small nodes evaluated against one segment and the facts.

A node returns ``None`` when it does not hold, or the spans that made it
hold (possibly none, e.g. a fact). ``any`` evaluates every branch so that a
redaction covers everything that matched, not just the first branch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Protocol

import regex

from detectors._base import Finding
from middleware.policy._schema import NumberRange
from middleware.policy._text import TextView, text_view

__all__ = [
    "AllOf",
    "AnyOf",
    "FindingNode",
    "GlobFact",
    "Node",
    "NotOf",
    "PatternNode",
    "RequestFacts",
    "SegmentInput",
    "Span",
    "ValueFact",
]


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """The request facts conditions can test (``None`` = unknown)."""

    tenant: str | None = None
    tier: str | None = None
    route: str | None = None
    model: str | None = None
    stream: bool = False
    reasoning_budget: str | None = None
    actor_risk: float = 0.0

    @classmethod
    def from_mapping(cls, facts: Mapping[str, Any]) -> RequestFacts:
        """Build from ``ctx.facts()``-style mappings; unknown keys are ignored."""
        return cls(
            tenant=facts.get("tenant"),
            tier=facts.get("tier"),
            route=facts.get("route"),
            model=facts.get("model"),
            stream=bool(facts.get("stream", False)),
            reasoning_budget=facts.get("reasoning_budget"),
            actor_risk=float(facts.get("actor_risk") or 0.0),
        )


@dataclass(frozen=True, slots=True)
class Span:
    """Why a condition held: ``[start, end)`` of the original segment text."""

    start: int
    end: int
    kind: str
    score: float


@dataclass(slots=True)
class SegmentInput:
    """What one evaluation sees: a segment's text, role, findings, and the facts."""

    text: str
    role: str | None
    findings: tuple[Finding, ...]
    facts: RequestFacts
    _views: dict[bool, TextView] = field(default_factory=dict)

    def view(self, *, fold: bool) -> TextView:
        """The normalised view (computed once per segment)."""
        got = self._views.get(fold)
        if got is None:
            got = self._views[fold] = text_view(self.text, fold=fold)
        return got


Result = tuple[Span, ...] | None


class Node(Protocol):
    """A compiled condition."""

    def test(self, inp: SegmentInput) -> Result:
        """Spans if the condition holds, else ``None``."""
        ...


@dataclass(frozen=True, slots=True)
class AllOf:
    """Holds when every child holds; spans of all children."""

    children: tuple[Node, ...]

    def test(self, inp: SegmentInput) -> Result:
        """See :class:`Node`."""
        spans: list[Span] = []
        for child in self.children:
            got = child.test(inp)
            if got is None:
                return None
            spans.extend(got)
        return tuple(spans)


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Holds when some child holds; spans of every child that holds."""

    children: tuple[Node, ...]

    def test(self, inp: SegmentInput) -> Result:
        """See :class:`Node`."""
        spans: list[Span] = []
        held = False
        for child in self.children:
            got = child.test(inp)
            if got is not None:
                held = True
                spans.extend(got)
        return tuple(spans) if held else None


@dataclass(frozen=True, slots=True)
class NotOf:
    """Holds when the child does not; no spans."""

    child: Node

    def test(self, inp: SegmentInput) -> Result:
        """See :class:`Node`."""
        return () if self.child.test(inp) is None else None


@dataclass(frozen=True, slots=True)
class FindingNode:
    """At least ``min_count`` findings of ``kind`` (glob) scoring ``min_score`` or more."""

    kind: str
    min_score: float
    min_count: int

    def test(self, inp: SegmentInput) -> Result:
        """See :class:`Node`."""
        spans = tuple(
            Span(f.start, f.end, f.kind, f.score)
            for f in inp.findings
            if f.score >= self.min_score and fnmatchcase(f.kind, self.kind)
        )
        return spans if len(spans) >= self.min_count else None


@dataclass(frozen=True, slots=True)
class PatternNode:
    """Inline regex (``fold=False``) or keyword alternation (``fold=True``).

    Evaluated with ``re`` (measured 2-8x faster than ``regex`` on keyword
    tries); the same sources compiled with ``regex`` serve :meth:`hold_from`,
    whose partial matching tells a stream screener where a match may still be
    in progress.
    """

    patterns: tuple[re.Pattern[str], ...]
    partial: tuple[regex.Pattern[str], ...]
    kind: str
    fold: bool
    min_count: int

    def test(self, inp: SegmentInput) -> Result:
        """See :class:`Node`."""
        view = inp.view(fold=self.fold)
        spans = []
        for pattern in self.patterns:
            for m in pattern.finditer(view.text):
                if m.end() > m.start():
                    start, end = view.to_original(m.start(), m.end())
                    spans.append(Span(start, end, self.kind, 1.0))
        return tuple(spans) if len(spans) >= self.min_count else None

    def matches(self, inp: SegmentInput) -> bool:
        """Whether any pattern has a non-empty match (cheaper than :meth:`test`)."""
        view = inp.view(fold=self.fold)
        for pattern in self.patterns:
            for m in pattern.finditer(view.text):
                if m.end() > m.start():
                    return True
        return False

    def hold_from(self, inp: SegmentInput) -> int | None:
        """Original index of the earliest (partial) match touching the end of the text."""
        view = inp.view(fold=self.fold)
        end = len(view.text)
        earliest: int | None = None
        for pattern in self.partial:
            for m in pattern.finditer(view.text, partial=True):
                if m.end() == end and m.end() > m.start():
                    start = view.to_original(m.start(), m.start() + 1)[0]
                    earliest = start if earliest is None else min(earliest, start)
        return earliest


@dataclass(frozen=True, slots=True)
class GlobFact:
    """A request fact (or the segment role) matching one of ``globs``; unknown never matches."""

    name: str
    globs: tuple[str, ...]

    def test(self, inp: SegmentInput) -> Result:
        """See :class:`Node`."""
        value = inp.role if self.name == "role" else getattr(inp.facts, self.name)
        if value is None:
            return None
        return () if any(fnmatchcase(value, g) for g in self.globs) else None


@dataclass(frozen=True, slots=True)
class ValueFact:
    """``stream``, ``reasoning_budget`` or ``actor_risk`` tested by a predicate."""

    name: str
    accepts: frozenset[Any] | None = None
    bounds: NumberRange | None = None

    def test(self, inp: SegmentInput) -> Result:
        """See :class:`Node`."""
        value = getattr(inp.facts, self.name)
        if self.accepts is not None:
            return () if value in self.accepts else None
        b = self.bounds
        assert b is not None
        ok = (
            (b.gt is None or value > b.gt)
            and (b.gte is None or value >= b.gte)
            and (b.lt is None or value < b.lt)
            and (b.lte is None or value <= b.lte)
        )
        return () if ok else None
