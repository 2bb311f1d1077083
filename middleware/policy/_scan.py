"""``tollgate scan``: screen a JSONL corpus, one decision line per input line (stable format).

Output line (one per input line, same order)::

    {"decision": "block",
     "rules": [{"id": "secrets.aws.block", "action": "block", "mode": "enforce",
                "categories": ["secrets"]}],
     "findings": [{"kind": "secret.aws_access_key", "score": 1.0, "count": 1}]}

``decision`` is the enforced outcome (block, redact, cap_reasoning, flag,
allow); ``rules`` lists every rule that fired, monitor rules included (see
``mode``); ``findings`` aggregates detector findings per kind (max score,
count) over the detectors the policy needed. A line that cannot be read
yields ``{"decision": null, "rules": [], "findings": [], "error": "..."}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from middleware.policy._conditions import RequestFacts
from middleware.policy._decision import Decision
from middleware.policy._engine import PolicyEngine
from middleware.policy._inputs import InputError, ToolInput, from_json_line

__all__ = ["error_record", "read_corpus_line", "scan_lines", "scan_record"]


def scan_record(decision: Decision) -> dict[str, Any]:
    """The stable scan output for one decision."""
    return {
        "decision": decision.action,
        "rules": [
            {"id": h.rule_id, "action": h.action, "mode": h.mode, "categories": list(h.categories)}
            for h in (*decision.matches, *decision.monitored)
        ],
        "findings": [
            {"kind": f.kind, "score": round(f.max_score, 4), "count": f.count}
            for f in decision.findings
        ],
    }


def error_record(message: str) -> dict[str, Any]:
    """The output for a line that could not be screened."""
    return {"decision": None, "rules": [], "findings": [], "error": message}


def read_corpus_line(line: str, direction: str, facts: RequestFacts) -> ToolInput:
    """Parse one corpus line; raises :class:`InputError`."""
    if not line.strip():
        raise InputError("empty line")
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}") from None
    return from_json_line(obj, direction, facts)


def scan_lines(
    engine: PolicyEngine, lines: Iterable[str], direction: str, facts: RequestFacts
) -> Iterator[dict[str, Any]]:
    """One output record per input line, in order (blocking: tools only)."""
    for line in lines:
        try:
            inp = read_corpus_line(line, direction, facts)
        except InputError as exc:
            yield error_record(str(exc))
            continue
        decision = engine.evaluate_sync(inp.segments, inp.direction, inp.facts)
        yield scan_record(decision)
