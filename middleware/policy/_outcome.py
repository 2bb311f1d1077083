"""Turn the rules that fired into a decision's parts: hits, merged redactions, the cap."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from middleware.adapters import REASONING_LEVELS
from middleware.policy._compile import CompiledRule
from middleware.policy._decision import RedactSpan, RuleHit, SegmentSpan
from middleware.policy._redaction import mask_label, merge_spans

__all__ = ["cap_level", "redactions", "rule_hit"]


def rule_hit(
    rule: CompiledRule,
    spans: list[SegmentSpan],
    segments: int,
    directions: set[str],
    failed_closed: set[str],
) -> RuleHit:
    action = rule.rule.action.type
    if failed_closed and not segments and action == "redact":
        action = "block"  # nothing located to redact: fail closed means refuse
    return RuleHit(
        rule_id=rule.id,
        title=rule.rule.title,
        action=action,
        mode=rule.rule.mode,
        categories=tuple(rule.rule.categories),
        severity=rule.rule.severity,
        directions=tuple(sorted(directions)),
        kinds=tuple(sorted({s.kind for s in spans})),
        count=len(spans) or segments or 1,
        max_score=max((s.score for s in spans), default=1.0),
        risk_points=rule.rule.risk_points,
        spans=tuple(spans),
        failed_closed=tuple(sorted(failed_closed)),
    )


def redactions(
    hits: tuple[RuleHit, ...], by_id: Mapping[str, CompiledRule]
) -> dict[int, tuple[RedactSpan, ...]]:
    per_segment: dict[int, list[RedactSpan]] = defaultdict(list)
    for hit in hits:
        if hit.action != "redact":
            continue
        act = by_id[hit.rule_id].rule.action
        for s in hit.spans:
            label = mask_label(s.kind)
            per_segment[s.segment].append(RedactSpan(s.start, s.end, label, act.style, act.mask))
    return {i: merge_spans(v) for i, v in sorted(per_segment.items())}


def cap_level(hits: tuple[RuleHit, ...], by_id: Mapping[str, CompiledRule]) -> str | None:
    levels = [
        lvl
        for h in hits
        if h.action == "cap_reasoning" and (lvl := by_id[h.rule_id].rule.action.level)
    ]
    return min(levels, key=REASONING_LEVELS.index) if levels else None
