"""Compile a :class:`Condition` into condition nodes, learning what the rule needs.

Collects the finding kinds (so the rule runs only its detectors), whether
the rule looks at text at all, its inline patterns (for stream hold points)
and the longest inline match (for hold-back bounds).
"""

from __future__ import annotations

import importlib
import math
import re
from dataclasses import dataclass, field
from typing import Any

import regex

from middleware.adapters import REASONING_LEVELS
from middleware.policy._conditions import (
    AllOf,
    AnyOf,
    FindingNode,
    GlobFact,
    Node,
    NotOf,
    PatternNode,
    ValueFact,
)
from middleware.policy._schema import Condition, LevelCondition
from middleware.policy._text import keyword_pattern

__all__ = ["CompileInfo", "compile_condition", "regex_width"]


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
