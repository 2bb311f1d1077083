"""``tollgate policy test``: run the test cases kept beside the policies.

Each case is evaluated against the compiled set with the deployment's
detectors. A case whose rules need a detector that is unavailable (not
installed, not configured, failing) is an ERROR, not a pass or a fail: the
report says which detector is missing, so gaps are visible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

from middleware.policy._cases import TestCase
from middleware.policy._conditions import RequestFacts
from middleware.policy._decision import Decision
from middleware.policy._engine import PolicyEngine
from middleware.policy._inputs import InputError, ToolInput, from_request, from_response, from_text
from middleware.policy._loader import PolicyIssue, load_policy_dir
from middleware.policy._redaction import apply_redactions
from middleware.policy._sources import FindingSource

__all__ = ["CaseResult", "TestReport", "case_input", "format_report", "run_policy_tests"]

Outcome = Literal["passed", "failed", "error"]


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One case's outcome; ``messages`` explain a failure or an error."""

    file: str
    name: str
    outcome: Outcome
    messages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TestReport:
    """All results, plus load errors that stopped the run."""

    __test__ = False

    results: tuple[CaseResult, ...] = ()
    load_issues: tuple[PolicyIssue, ...] = ()
    missing_detectors: tuple[str, ...] = field(default=())

    def count(self, outcome: Outcome) -> int:
        """How many cases ended with ``outcome``."""
        return sum(r.outcome == outcome for r in self.results)

    @property
    def ok(self) -> bool:
        """True when the set loaded and every case passed."""
        return not self.load_issues and all(r.outcome == "passed" for r in self.results)


def case_input(case: TestCase) -> ToolInput:
    """The segments, direction and facts of a test case."""
    f = case.facts
    facts = RequestFacts(f.tenant, f.tier, f.route, f.model, f.stream, f.reasoning_budget,
                         f.actor_risk)  # fmt: skip
    direction = case.effective_direction
    if case.text is not None:
        return from_text(case.text, direction, facts, role=f.role if direction == "input" else None)
    if case.request is not None:
        return from_request(case.request, facts)
    assert case.response is not None
    return from_response(case.response, facts)


def _check(case: TestCase, inp: ToolInput, d: Decision) -> list[str]:
    exp = case.expect
    fired = [h.rule_id for h in (*d.matches, *d.monitored)]
    problems = []
    if d.action != exp.decision:
        problems.append(f"decision: expected {exp.decision}, got {d.action}")
    for glob in exp.rules or ():
        if not any(fnmatchcase(r, glob) for r in fired):
            problems.append(f"rule {glob} did not fire (fired: {', '.join(fired) or 'none'})")
    for glob in exp.absent_rules or ():
        hits = [r for r in fired if fnmatchcase(r, glob)]
        if hits:
            problems.append(f"rule {', '.join(hits)} fired but should not")
    if exp.redacted is not None:
        seg = inp.segments[0] if inp.segments else None
        got = apply_redactions(seg.text, d.redactions.get(0, ())) if seg else ""
        if got != exp.redacted:
            problems.append(f"redacted: expected {exp.redacted!r}, got {got!r}")
    if exp.reasoning_budget is not None and d.cap_level != exp.reasoning_budget:
        problems.append(f"reasoning cap: expected {exp.reasoning_budget}, got {d.cap_level}")
    if exp.would_have is not None and d.would_have != exp.would_have:
        problems.append(f"would_have: expected {exp.would_have}, got {d.would_have}")
    return problems


def run_policy_tests(
    root: str | Path,
    source: FindingSource,
    *,
    select: Callable[[str], bool] | None = None,
    today: dt.date | None = None,
) -> TestReport:
    """Run every test case under ``root`` (``select`` filters by case name)."""
    policy_set, issues = load_policy_dir(root, with_tests=True)
    errors = [i for i in issues if i.severity == "error"]
    if policy_set is None:
        return TestReport(load_issues=tuple(errors))
    try:
        engine = PolicyEngine.compile(policy_set, source)
    except Exception as exc:
        issue = PolicyIssue("error", "compile", str(exc), str(root))
        return TestReport(load_issues=(issue,))
    results: list[CaseResult] = []
    missing: set[str] = set()
    for tests in policy_set.tests:
        for case in tests.document.tests:
            if select is not None and not select(case.name):
                continue
            results.append(_run_case(engine, tests.path, case, missing, today))
    return TestReport(tuple(results), (), tuple(sorted(missing)))


def _run_case(
    engine: PolicyEngine, path: str, case: TestCase, missing: set[str], today: dt.date | None
) -> CaseResult:
    try:
        inp = case_input(case)
    except InputError as exc:
        return CaseResult(path, case.name, "error", (str(exc),))
    decision = engine.evaluate_sync(inp.segments, inp.direction, inp.facts, today=today)
    problems = _check(case, inp, decision)
    down = _relevant_failures(engine, case, decision, bool(problems))
    if down:
        missing.update(down)
        detail = ", ".join(f"{n} ({decision.failed[n]})" for n in sorted(down))
        return CaseResult(path, case.name, "error", (f"detector unavailable: {detail}",))
    return CaseResult(path, case.name, "failed" if problems else "passed", tuple(problems))


def _relevant_failures(
    engine: PolicyEngine, case: TestCase, decision: Decision, failing: bool
) -> set[str]:
    """Failed detectors that could explain the outcome.

    Those of the rules the case names (a case about a rule whose detector is
    missing proves nothing, even if it passes); any failed detector when the
    case fails.
    """
    failed = set(decision.failed)
    if not failed:
        return set()
    named = [*(case.expect.rules or ()), *(case.expect.absent_rules or ())]
    needed = {
        n for r in engine.rules if any(fnmatchcase(r.id, g) for g in named) for n in r.detectors
    }
    if failing:
        return (failed & needed) or failed
    return failed & needed


def format_report(report: TestReport, *, verbose: bool = False) -> str:
    """A pytest-like text report."""
    lines: list[str] = []
    if report.load_issues:
        lines.extend(str(i) for i in report.load_issues)
        lines.append("policy set did not load: no tests ran")
        return "\n".join(lines)
    by_file: dict[str, list[CaseResult]] = {}
    for r in report.results:
        by_file.setdefault(r.file, []).append(r)
    marks = {"passed": ".", "failed": "F", "error": "E"}
    for file, results in by_file.items():
        if verbose:
            lines.extend(f"{file}::{r.name} {r.outcome.upper()}" for r in results)
        else:
            lines.append(f"{file} {''.join(marks[r.outcome] for r in results)}")
    bad = [r for r in report.results if r.outcome != "passed"]
    if bad:
        lines.append("")
        for r in bad:
            lines.append(f"{r.outcome.upper()} {r.file}::{r.name}")
            lines.extend(f"    {m}" for m in r.messages)
    if report.missing_detectors:
        lines.append(f"unavailable detectors: {', '.join(report.missing_detectors)}")
    summary = ", ".join(
        f"{report.count(o)} {o if o != 'error' else 'errors'}"
        for o in ("passed", "failed", "error")
        if report.count(o) or o == "passed"
    )
    lines.append(f"== {summary} ==")
    return "\n".join(lines)
