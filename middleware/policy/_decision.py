"""Decision records: what the policy decided, why, and under which revision.

Records are immutable and carry no raw text -- only rule ids, categories,
finding kinds, counts, scores and spans (offsets), so they can go to the
audit log as they are (:meth:`PolicyRecord.to_dict`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from middleware.policy._conditions import Span
from middleware.policy._loader import PolicyRevision

__all__ = [
    "ACTION_STRENGTH",
    "Decision",
    "FindingSummary",
    "PolicyRecord",
    "RedactSpan",
    "RuleHit",
    "SegmentSpan",
    "strongest",
]

#: Strongest wins: block > redact > cap_reasoning > flag > allow.
ACTION_STRENGTH: Mapping[str, int] = {
    "allow": 0,
    "flag": 1,
    "cap_reasoning": 2,
    "redact": 3,
    "block": 4,
}


def strongest(actions: Iterable[str]) -> str:
    """The final action of a set of fired actions.

    ``allow`` is an explicit exemption that wins over ``flag`` only: with an
    allow among them, flags are dropped; stronger actions still win.
    """
    acts = set(actions)
    if "allow" in acts:
        acts.discard("flag")
    return max(acts, key=ACTION_STRENGTH.__getitem__, default="allow")


@dataclass(frozen=True, slots=True)
class SegmentSpan:
    """A span inside segment ``segment`` (its index in the evaluated list)."""

    segment: int
    start: int
    end: int
    kind: str
    score: float


@dataclass(frozen=True, slots=True)
class RedactSpan:
    """A merged span to replace, with how: ``style`` mask|placeholder or a literal ``mask``."""

    start: int
    end: int
    label: str
    style: str = "mask"
    mask: str | None = None


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One rule that fired (or, for monitor rules, would have)."""

    rule_id: str
    title: str
    action: str
    mode: str
    categories: tuple[str, ...]
    severity: str
    directions: tuple[str, ...]
    kinds: tuple[str, ...]
    count: int
    max_score: float
    risk_points: float
    spans: tuple[SegmentSpan, ...] = ()
    failed_closed: tuple[str, ...] = ()

    def to_dict(self, *, spans: bool = False) -> dict[str, Any]:
        """JSON-able form (spans are offsets only)."""
        out: dict[str, Any] = {
            "id": self.rule_id,
            "action": self.action,
            "mode": self.mode,
            "categories": list(self.categories),
            "severity": self.severity,
            "directions": list(self.directions),
            "kinds": list(self.kinds),
            "count": self.count,
            "max_score": round(self.max_score, 4),
            "risk_points": self.risk_points,
        }
        if self.failed_closed:
            out["failed_closed"] = list(self.failed_closed)
        if spans:
            out["spans"] = [
                {"segment": s.segment, "start": s.start, "end": s.end, "kind": s.kind,
                 "score": round(s.score, 4)}
                for s in self.spans
            ]  # fmt: skip
        return out


@dataclass(frozen=True, slots=True)
class FindingSummary:
    """Detector findings of one kind across the evaluated segments."""

    kind: str
    max_score: float
    count: int


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of evaluating one direction of one request.

    ``action`` is the enforced outcome; ``would_have`` is the outcome had the
    monitor rules been enforced too. ``redactions`` maps a segment index to
    its merged spans; ``cap_level`` is the reasoning level to cap to;
    ``failed`` names detectors that failed or were unavailable; ``excepted``
    lists rules an unexpired exception skipped for this request.
    """

    direction: str
    action: str
    would_have: str
    revision: PolicyRevision
    matches: tuple[RuleHit, ...] = ()
    monitored: tuple[RuleHit, ...] = ()
    redactions: Mapping[int, tuple[RedactSpan, ...]] = field(default_factory=dict)
    cap_level: str | None = None
    findings: tuple[FindingSummary, ...] = ()
    failed: Mapping[str, str] = field(default_factory=dict)
    excepted: tuple[str, ...] = ()

    @property
    def risk_points(self) -> float:
        """Risk points of the enforced rules that fired."""
        return sum(h.risk_points for h in self.matches)

    @property
    def categories(self) -> tuple[str, ...]:
        """Categories of the enforced rules that set the final action."""
        cats: list[str] = []
        for hit in self.matches:
            if hit.action == self.action:
                cats.extend(c for c in hit.categories if c not in cats)
        return tuple(cats)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form for the audit log (no text)."""
        return {
            "direction": self.direction,
            "action": self.action,
            "would_have": self.would_have,
            "rules": [h.to_dict() for h in self.matches],
            "monitor": [h.to_dict() for h in self.monitored],
            "cap_level": self.cap_level,
            "risk_points": self.risk_points,
            "redacted_spans": sum(len(v) for v in self.redactions.values()),
            "findings": [
                {"kind": f.kind, "score": round(f.max_score, 4), "count": f.count}
                for f in self.findings
            ],
            "detector_failures": dict(self.failed),
            "excepted": list(self.excepted),
        }


@dataclass(frozen=True, slots=True)
class PolicyRecord:
    """Everything the policy decided for one request (``ctx.state["policy"]``)."""

    decision_id: str
    revision: PolicyRevision
    input: Decision | None = None
    output: Decision | None = None

    @property
    def decisions(self) -> tuple[Decision, ...]:
        """The input and output decisions that exist."""
        return tuple(d for d in (self.input, self.output) if d is not None)

    @property
    def action(self) -> str:
        """The strongest enforced action over both directions."""
        acts = [d.action for d in self.decisions]
        return max(acts, key=ACTION_STRENGTH.__getitem__, default="allow")

    @property
    def risk_points(self) -> float:
        """Total risk points of enforced rules that fired (for actor risk)."""
        return sum(d.risk_points for d in self.decisions)

    @property
    def would_have(self) -> str:
        """The strongest outcome had monitor rules been enforced."""
        acts = [d.would_have for d in self.decisions]
        return max(acts, key=ACTION_STRENGTH.__getitem__, default="allow")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form for the audit log."""
        return {
            "decision_id": self.decision_id,
            "action": self.action,
            "would_have": self.would_have,
            "risk_points": self.risk_points,
            "revision": self.revision.to_dict(),
            "input": self.input.to_dict() if self.input else None,
            "output": self.output.to_dict() if self.output else None,
        }


def hit_spans(segment: int, spans: Iterable[Span]) -> tuple[SegmentSpan, ...]:
    """Attach a segment index to condition spans."""
    return tuple(SegmentSpan(segment, s.start, s.end, s.kind, s.score) for s in spans)
