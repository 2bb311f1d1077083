"""``tollgate policy explain``: which rules fired, on which spans, with scores, and why.

For people (``explain_text``) and tools (``explain_dict``). This is a local
tool on the engineer's own input, so it shows the matched text.
"""

from __future__ import annotations

from typing import Any

from middleware.policy._decision import Decision, RuleHit
from middleware.policy._engine import PolicyEngine
from middleware.policy._inputs import ToolInput
from middleware.policy._redaction import apply_redactions

__all__ = ["explain_dict", "explain_text"]

_PREVIEW = 60


def _where(engine: PolicyEngine, rule_id: str) -> tuple[str, int]:
    for rule in engine.rules:
        if rule.id == rule_id:
            return rule.file, rule.line
    return "?", 0


def _hit_dict(engine: PolicyEngine, inp: ToolInput, hit: RuleHit) -> dict[str, Any]:
    out = hit.to_dict()
    out["title"] = hit.title
    out["file"], out["line"] = _where(engine, hit.rule_id)
    out["spans"] = [
        {"segment": s.segment, "role": inp.segments[s.segment].role, "start": s.start,
         "end": s.end, "kind": s.kind, "score": round(s.score, 4),
         "text": inp.segments[s.segment].text[s.start : s.end]}
        for s in hit.spans
    ]  # fmt: skip
    return out


def explain_dict(engine: PolicyEngine, inp: ToolInput, decision: Decision) -> dict[str, Any]:
    """Everything about one decision, JSON-able."""
    return {
        "decision": decision.action,
        "would_have": decision.would_have,
        "direction": decision.direction,
        "revision": decision.revision.to_dict(),
        "facts": {k: v for k, v in vars_of(inp).items() if v not in (None, False, 0.0)},
        "rules": [_hit_dict(engine, inp, h) for h in (*decision.matches, *decision.monitored)],
        "findings": [
            {"kind": f.kind, "score": round(f.max_score, 4), "count": f.count}
            for f in decision.findings
        ],
        "redacted": {
            str(i): apply_redactions(inp.segments[i].text, spans)
            for i, spans in decision.redactions.items()
        },
        "cap_level": decision.cap_level,
        "detector_failures": dict(decision.failed),
        "excepted": list(decision.excepted),
    }


def vars_of(inp: ToolInput) -> dict[str, Any]:
    """The facts as a plain dict."""
    f = inp.facts
    return {"tenant": f.tenant, "tier": f.tier, "route": f.route, "model": f.model,
            "stream": f.stream, "reasoning_budget": f.reasoning_budget,
            "actor_risk": f.actor_risk}  # fmt: skip


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _PREVIEW else flat[: _PREVIEW - 1] + "…"


def explain_text(engine: PolicyEngine, inp: ToolInput, decision: Decision) -> str:
    """A readable explanation."""
    data = explain_dict(engine, inp, decision)
    versions = ", ".join(f"{n} {v}" for n, v in decision.revision.versions)
    facts = " ".join(f"{k}={v}" for k, v in data["facts"].items()) or "(none)"
    lines = [
        f"decision: {decision.action}   (with monitor rules: {decision.would_have})",
        f"direction: {decision.direction}   facts: {facts}",
        f"policy: {decision.revision.short} ({versions})",
    ]
    if not data["rules"]:
        lines.append("no rule fired")
    for rule in data["rules"]:
        lines.append(
            f"- {rule['id']} [{rule['mode']}] {rule['action']}  "
            f"categories={','.join(rule['categories'])}  severity={rule['severity']}  "
            f"({rule['file']}:{rule['line']})"
        )
        for s in rule["spans"]:
            lines.append(
                f"    segment {s['segment']} ({s['role']}) [{s['start']}:{s['end']}] "
                f"{s['kind']} score={s['score']:.2f}  {_preview(s['text'])!r}"
            )
        if rule.get("failed_closed"):
            lines.append(f"    failed closed: {', '.join(rule['failed_closed'])} unavailable")
    for f in data["findings"]:
        lines.append(f"finding {f['kind']} max_score={f['score']:.2f} count={f['count']}")
    for index, text in data["redacted"].items():
        lines.append(f"redacted segment {index}: {_preview(text)!r}")
    if decision.cap_level:
        lines.append(f"reasoning budget capped to: {decision.cap_level}")
    for rule_id in decision.excepted:
        lines.append(f"skipped by an exception: {rule_id}")
    for name, why in data["detector_failures"].items():
        lines.append(f"detector {name}: {why}")
    return "\n".join(lines)
