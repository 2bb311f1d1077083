"""``tollgate policy diff``: how decisions change between two policy versions on a corpus.

Every corpus line is evaluated by both versions; lines are counted as newly
blocked (not blocked before, blocked now), unblocked, otherwise changed
(e.g. allow -> redact), rules changed (same decision, different rules) or
unchanged, with a few examples of each so a change can be judged before it
ships.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from middleware.policy._conditions import RequestFacts
from middleware.policy._decision import Decision
from middleware.policy._engine import PolicyEngine
from middleware.policy._inputs import InputError
from middleware.policy._scan import read_corpus_line

__all__ = ["CATEGORIES", "DiffExample", "DiffReport", "diff_corpus", "format_diff"]

CATEGORIES = ("newly_blocked", "unblocked", "changed", "rules_changed", "unchanged", "errors")


@dataclass(frozen=True, slots=True)
class DiffExample:
    """One corpus line whose outcome changed."""

    line: int
    preview: str
    old: str
    new: str
    old_rules: tuple[str, ...]
    new_rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DiffReport:
    """Counts per category, decision transitions, and examples."""

    total: int
    counts: dict[str, int]
    transitions: dict[str, int]
    examples: dict[str, list[DiffExample]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "total": self.total,
            "counts": self.counts,
            "transitions": self.transitions,
            "examples": {k: [vars_of(e) for e in v] for k, v in self.examples.items() if v},
        }


def vars_of(e: DiffExample) -> dict[str, Any]:
    """An example as a dict."""
    return {"line": e.line, "preview": e.preview, "old": e.old, "new": e.new,
            "old_rules": list(e.old_rules), "new_rules": list(e.new_rules)}  # fmt: skip


def _category(old: Decision, new: Decision) -> str:
    if old.action != "block" and new.action == "block":
        return "newly_blocked"
    if old.action == "block" and new.action != "block":
        return "unblocked"
    if old.action != new.action:
        return "changed"
    if _rules(old) != _rules(new):
        return "rules_changed"
    return "unchanged"


def _rules(d: Decision) -> tuple[str, ...]:
    return tuple(sorted(h.rule_id for h in (*d.matches, *d.monitored)))


def diff_corpus(
    old: PolicyEngine,
    new: PolicyEngine,
    lines: Iterable[str],
    direction: str,
    facts: RequestFacts,
    *,
    examples: int = 5,
) -> DiffReport:
    """Evaluate every line with both engines and compare (blocking: tools only)."""
    counts: Counter[str] = Counter({c: 0 for c in CATEGORIES})
    transitions: Counter[str] = Counter()
    picked: dict[str, list[DiffExample]] = {c: [] for c in CATEGORIES if c != "unchanged"}
    total = 0
    for number, line in enumerate(lines, start=1):
        total += 1
        try:
            inp = read_corpus_line(line, direction, facts)
        except InputError as exc:
            counts["errors"] += 1
            if len(picked["errors"]) < examples:
                picked["errors"].append(DiffExample(number, str(exc), "", "", (), ()))
            continue
        a = old.evaluate_sync(inp.segments, inp.direction, inp.facts)
        b = new.evaluate_sync(inp.segments, inp.direction, inp.facts)
        category = _category(a, b)
        counts[category] += 1
        if a.action != b.action:
            transitions[f"{a.action} -> {b.action}"] += 1
        if category in picked and len(picked[category]) < examples:
            text = " ".join(" ".join(s.text for s in inp.segments).split())
            preview = text if len(text) <= 80 else text[:79] + "…"
            picked[category].append(
                DiffExample(number, preview, a.action, b.action, _rules(a), _rules(b))
            )
    return DiffReport(total, dict(counts), dict(transitions), picked)


def format_diff(report: DiffReport) -> str:
    """A readable summary."""
    c = report.counts
    lines = [
        f"{report.total} lines: {c['newly_blocked']} newly blocked, {c['unblocked']} unblocked, "
        f"{c['changed']} changed, {c['rules_changed']} with other rules, "
        f"{c['unchanged']} unchanged, {c['errors']} unreadable"
    ]
    for transition, n in sorted(report.transitions.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {transition}: {n}")
    for category, examples in report.examples.items():
        if not examples:
            continue
        lines.append(f"{category.replace('_', ' ')}:")
        for e in examples:
            if category == "errors":
                lines.append(f"  line {e.line}: {e.preview}")
                continue
            lines.append(
                f"  line {e.line}: {e.old} -> {e.new}  "
                f"[{', '.join(e.old_rules) or '-'}] -> [{', '.join(e.new_rules) or '-'}]  "
                f"{e.preview!r}"
            )
    return "\n".join(lines)
