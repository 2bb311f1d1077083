"""Compiled conditions: a tree of small nodes evaluated against one segment and the facts.

A node returns ``None`` when it does not hold, or the spans that made it
hold (possibly none, e.g. a fact). ``any`` evaluates every branch so that a
redaction covers everything that matched, not just the first branch.
"""

from __future__ import annotations

import importlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Protocol

import regex

from detectors._base import Finding
from middleware.adapters import REASONING_LEVELS
from middleware.policy._schema import Condition, LevelCondition, NumberRange
from middleware.policy._text import TextView, keyword_pattern, text_view

__all__ = [
    "Node",
    "RequestFacts",
    "SegmentInput",
    "Span",
    "compile_condition",
    "regex_width",
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
    children: tuple[Node, ...]

    def test(self, inp: SegmentInput) -> Result:
        spans: list[Span] = []
        for child in self.children:
            got = child.test(inp)
            if got is None:
                return None
            spans.extend(got)
        return tuple(spans)


@dataclass(frozen=True, slots=True)
class AnyOf:
    children: tuple[Node, ...]

    def test(self, inp: SegmentInput) -> Result:
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
    child: Node

    def test(self, inp: SegmentInput) -> Result:
        return () if self.child.test(inp) is None else None


@dataclass(frozen=True, slots=True)
class FindingNode:
    kind: str
    min_score: float
    min_count: int

    def test(self, inp: SegmentInput) -> Result:
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
        view = inp.view(fold=self.fold)
        spans = []
        for pattern in self.patterns:
            for m in pattern.finditer(view.text):
                if m.end() > m.start():
                    start, end = view.to_original(m.start(), m.end())
                    spans.append(Span(start, end, self.kind, 1.0))
        return tuple(spans) if len(spans) >= self.min_count else None

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
    name: str
    globs: tuple[str, ...]

    def test(self, inp: SegmentInput) -> Result:
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


def _levels(cond: LevelCondition) -> frozenset[Any]:
    if cond.in_ is not None:
        return frozenset(None if v == "unset" else v for v in cond.in_)
    if cond.above is not None:
        return frozenset(REASONING_LEVELS[REASONING_LEVELS.index(cond.above) + 1 :])
    assert cond.at_least is not None
    return frozenset(REASONING_LEVELS[REASONING_LEVELS.index(cond.at_least) :])


def regex_width(pattern: str, ignore_case: bool = False) -> int | None:
    """Longest possible match of ``pattern`` in characters; ``None`` if unbounded."""
    # The stdlib's own parser (private, untyped): exact for re syntax.
    parser: Any = importlib.import_module("re._parser")
    try:
        parsed = parser.parse(pattern, 2 if ignore_case else 0)  # re.IGNORECASE == 2
    except Exception:
        return None
    width = int(parsed.getwidth()[1])
    return None if width >= parser.MAXREPEAT or width > 1_000_000 else width


def _patterns(
    sources: tuple[str, ...], ignore_case: bool, kind: str, fold: bool, min_count: int
) -> PatternNode:
    evaluate = tuple(re.compile(p, re.IGNORECASE if ignore_case else 0) for p in sources)
    partial = tuple(regex.compile(p, regex.IGNORECASE if ignore_case else 0) for p in sources)
    return PatternNode(evaluate, partial, kind, fold, min_count)


@dataclass(slots=True)
class CompileInfo:
    """What compiling a condition learned: finding kinds, text use, longest match."""

    kinds: list[str] = field(default_factory=list)
    uses_text: bool = False
    max_match: float = 0.0
    patterns: list[PatternNode] = field(default_factory=list)


def compile_condition(cond: Condition, info: CompileInfo) -> Node:
    """Compile ``cond``; raises ``re.error``/``regex.error`` for an invalid inline regex."""
    parts: list[Node] = []
    for key in sorted(cond.model_fields_set):
        value = getattr(cond, key)
        if value is None:
            continue
        if key in ("all", "any"):
            kids = tuple(compile_condition(c, info) for c in value)
            parts.append(AllOf(kids) if key == "all" else AnyOf(kids))
        elif key == "not_":
            parts.append(NotOf(compile_condition(value, info)))
        elif key == "finding":
            info.kinds.append(value.kind)
            info.uses_text = True
            parts.append(FindingNode(value.kind, value.min_score, value.min_count))
        elif key == "regex":
            info.uses_text = True
            node = _patterns(value.patterns, value.ignore_case, f"regex.{value.label}", False,
                             value.min_count)  # fmt: skip
            for p in value.patterns:
                width = regex_width(p, value.ignore_case)
                info.max_match = max(info.max_match, math.inf if width is None else width)
            info.patterns.append(node)
            parts.append(node)
        elif key == "keywords":
            info.uses_text = True
            pattern, longest = keyword_pattern(value.words)
            info.max_match = max(info.max_match, longest)
            node = _patterns((pattern,), False, f"keyword.{value.label}", True, value.min_count)
            info.patterns.append(node)
            parts.append(node)
        elif key in ("tenant", "tier", "route", "model", "role"):
            info.uses_text = info.uses_text or key == "role"
            parts.append(GlobFact(key, value))
        elif key == "stream":
            parts.append(ValueFact("stream", accepts=frozenset({value})))
        elif key == "reasoning_budget":
            parts.append(ValueFact("reasoning_budget", accepts=_levels(value)))
        elif key == "actor_risk":
            parts.append(ValueFact("actor_risk", bounds=value))
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))
