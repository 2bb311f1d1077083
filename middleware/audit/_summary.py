"""``tollgate audit summary``: a quick report over audit files for a person at a terminal.

Decisions, rules fired (by id, action and mode), the tenants with the most
blocks, latency percentiles and policy reloads. Lines that are not audit
events are skipped (and counted).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Summary", "percentile", "summarize_files"]

_LATENCIES = ("total", "input_screening", "upstream", "output_screening", "ttft")


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank ``q`` percentile (0-100) of ``values``; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Summary:
    """Aggregates over the request and reload events of some audit files."""

    requests: int = 0
    skipped_lines: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    rules: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    tenant_blocks: Counter[str] = field(default_factory=Counter)
    reloads: Counter[str] = field(default_factory=Counter)
    gaps: int = 0
    latencies: dict[str, list[float]] = field(default_factory=dict)

    def add(self, event: dict[str, Any]) -> None:
        """Fold one event in."""
        kind = event.get("event")
        if kind == "policy_reload":
            self.reloads[str(event.get("result"))] += 1
            return
        if kind == "audit_gap":
            dropped = event.get("dropped")
            self.gaps += dropped if isinstance(dropped, int) else 0
            return
        if kind != "request":
            return
        self.requests += 1
        decision = str(event.get("decision"))
        self.decisions[decision] += 1
        if decision == "block":
            self.tenant_blocks[str(event.get("tenant") or "-")] += 1
        for hit in event.get("rules") or ():
            if isinstance(hit, dict):
                self.rules[(str(hit.get("id")), str(hit.get("action")), str(hit.get("mode")))] += 1
        latency = event.get("latency_ms") or {}
        for name in _LATENCIES:
            value = latency.get(name) if isinstance(latency, dict) else None
            if isinstance(value, int | float):
                self.latencies.setdefault(name, []).append(float(value))

    def render(self, top: int = 10) -> str:
        """The report as plain text."""
        out = [f"requests: {self.requests}"]
        if self.skipped_lines:
            out.append(f"skipped lines (not audit events): {self.skipped_lines}")
        if self.gaps:
            out.append(f"events dropped by the writer (audit_gap): {self.gaps}")
        out.append("")
        out.append("decisions:")
        for name, n in self.decisions.most_common():
            out.append(f"  {name:<16} {n:>8}  {100 * n / max(1, self.requests):5.1f}%")
        out.append("")
        out.append("rules fired (rule, action, mode):")
        if not self.rules:
            out.append("  (none)")
        for (rule, action, mode), n in self.rules.most_common(top):
            out.append(f"  {rule:<32} {action:<14} {mode:<8} {n:>8}")
        out.append("")
        out.append("top tenants by blocks:")
        if not self.tenant_blocks:
            out.append("  (none)")
        for tenant, n in self.tenant_blocks.most_common(top):
            out.append(f"  {tenant:<32} {n:>8}")
        out.append("")
        out.append("latency ms        p50        p90        p99        max")
        for name in _LATENCIES:
            values = self.latencies.get(name, [])
            if not values:
                continue
            cells = [percentile(values, q) for q in (50, 90, 99, 100)]
            out.append(f"  {name:<16}" + "".join(f"{c:>11.2f}" for c in cells if c is not None))
        if self.reloads:
            out.append("")
            out.append(
                "policy reloads: " + ", ".join(f"{k} {v}" for k, v in sorted(self.reloads.items()))
            )
        return "\n".join(out) + "\n"


def summarize_files(paths: Sequence[str | Path]) -> Summary:
    """Read every line of ``paths`` into a :class:`Summary`."""
    summary = Summary()
    for path in paths:
        with Path(path).open("r", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.strip():
                    continue
                try:
                    event = json.loads(line)
                except ValueError:
                    summary.skipped_lines += 1
                    continue
                if isinstance(event, dict):
                    summary.add(event)
                else:
                    summary.skipped_lines += 1
    return summary
