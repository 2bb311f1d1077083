"""``tollgate policy lint``: everything wrong with a policy directory, as ``file:line`` issues.

Errors (non-zero exit): schema violations, invalid YAML, duplicate ids,
unknown taxonomy tags, unknown detector kinds, invalid regexes. Warnings:
expired exceptions, rules that cannot fire (or cannot take effect), enforce
rules without a positive or a negative test case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from pathlib import Path

from middleware.policy._compile import compile_rules
from middleware.policy._loader import LoadedPolicy, PolicyIssue, PolicySet, load_policy_dir
from middleware.policy._schema import Condition, Rule
from middleware.policy._sources import EXPECTED_DETECTORS, globs_overlap

__all__ = ["lint_policy_dir"]

_SPAN_KEYS = ("finding", "regex", "keywords")


def lint_policy_dir(
    root: str | Path,
    kinds: Mapping[str, frozenset[str]] | None = None,
    *,
    today: dt.date | None = None,
) -> list[PolicyIssue]:
    """Lint ``root``; ``kinds`` are the deployment's detectors (``None``: the catalog only)."""
    policy_set, issues = load_policy_dir(root, with_tests=True)
    if policy_set is None:
        return issues
    deployed = dict(kinds or {})
    _, compile_issues = compile_rules(policy_set, deployed)
    issues.extend(compile_issues)
    day = today or dt.datetime.now(dt.UTC).date()
    for rule, pol, index in policy_set.rules():
        issues.extend(_kind_issues(rule, pol, index, deployed))
        issues.extend(_exception_issues(rule, pol, index, day))
        issues.extend(_cannot_fire(rule, pol, index, day))
    issues.extend(_test_coverage(policy_set))
    return issues


def _kind_issues(
    rule: Rule, pol: LoadedPolicy, index: int, deployed: Mapping[str, frozenset[str]]
) -> list[PolicyIssue]:
    out = []
    line = pol.rule_line(index, "when")
    known = {**EXPECTED_DETECTORS, **deployed}
    for kind in _finding_kinds(rule.when):
        owners = [n for n, ks in known.items() if any(globs_overlap(kind, k) for k in ks)]
        if not owners:
            msg = f"unknown detector kind {kind!r} (no detector emits it)"
            out.append(PolicyIssue("error", "unknown-kind", msg, pol.path, line, rule.id))
        elif deployed and not any(n in deployed for n in owners):
            msg = f"kind {kind!r} needs detector {'/'.join(owners)}, not configured here"
            out.append(PolicyIssue("warning", "detector-unavailable", msg, pol.path, line, rule.id))
    return out


def _exception_issues(rule: Rule, pol: LoadedPolicy, index: int, day: dt.date) -> list[PolicyIssue]:
    out = []
    for i, exc in enumerate(rule.exceptions):
        if exc.expires < day:
            out.append(
                PolicyIssue(
                    "warning",
                    "expired-exception",
                    f"exception expired on {exc.expires.isoformat()} ({exc.reason}); remove it",
                    pol.path,
                    pol.rule_line(index, "exceptions", i),
                    rule.id,
                )
            )
    return out


def _cannot_fire(rule: Rule, pol: LoadedPolicy, index: int, day: dt.date) -> list[PolicyIssue]:
    reasons = []
    act = rule.action.type
    if act == "cap_reasoning" and "input" not in rule.directions:
        reasons.append("cap_reasoning only takes effect on the input direction")
    if act == "redact" and not _has(rule.when, _SPAN_KEYS):
        reasons.append("redact needs a finding, regex or keywords condition to locate spans")
    if rule.when.reasoning_budget is not None and rule.when.reasoning_budget.above == "maximum":
        reasons.append("no reasoning budget is above 'maximum'")
    roles = _roles(rule.when)
    if (
        roles
        and "input" not in rule.directions
        and not any(fnmatchcase("assistant", g) for g in roles)
    ):
        reasons.append("output and reasoning segments have role 'assistant' only")
    conflict = _conflicting_facts(rule.when)
    if conflict:
        reasons.append(f"'{conflict}' is required to take two disjoint values")
    for exc in rule.exceptions:
        if exc.expires >= day and not any((exc.tenant, exc.tier, exc.route, exc.model)):
            reasons.append("an unscoped exception exempts every request")
    return [
        PolicyIssue("warning", "cannot-fire", f"rule cannot fire: {r}", pol.path,
                    pol.rule_line(index), rule.id)
        for r in reasons
    ]  # fmt: skip


def _test_coverage(policy_set: PolicySet) -> list[PolicyIssue]:
    positive: list[tuple[str, ...]] = []
    negative: list[tuple[str, ...]] = []
    for tests in policy_set.tests:
        for case in tests.document.tests:
            positive.append(case.expect.rules or ())
            negative.append(case.expect.absent_rules or ())
    out = []
    for rule, pol, index in policy_set.rules():
        if rule.mode != "enforce":
            continue
        missing = [
            what
            for what, globs in (("positive", positive), ("negative", negative))
            if not any(fnmatchcase(rule.id, g) for gs in globs for g in gs)
        ]
        if missing:
            msg = f"enforce rule has no {' or '.join(missing)} test case"
            out.append(
                PolicyIssue("warning", "untested", msg, pol.path, pol.rule_line(index), rule.id)
            )
    return out


def _children(cond: Condition) -> Iterable[Condition]:
    yield from cond.all or ()
    yield from cond.any or ()
    if cond.not_ is not None:
        yield cond.not_


def _finding_kinds(cond: Condition) -> list[str]:
    kinds = [cond.finding.kind] if cond.finding else []
    for child in _children(cond):
        kinds.extend(_finding_kinds(child))
    return kinds


def _has(cond: Condition, keys: tuple[str, ...]) -> bool:
    """Whether a span-producing key is reachable (spans under ``not`` never are)."""
    if any(getattr(cond, k) is not None for k in keys):
        return True
    return any(_has(c, keys) for c in (*(cond.all or ()), *(cond.any or ())))


def _roles(cond: Condition) -> set[str]:
    roles = set(cond.role or ())
    for child in cond.all or ():
        roles |= _roles(child)
    return roles


def _conflicting_facts(cond: Condition) -> str | None:
    """A fact pinned to disjoint literal values (``tier: free`` and ``tier: pro``)."""
    pinned: dict[str, set[str]] = {}
    stack = [cond]
    while stack:
        node = stack.pop()
        stack.extend(node.all or ())
        for name in ("tenant", "tier", "route", "model", "role"):
            globs = getattr(node, name)
            if globs is None or any(ch in g for g in globs for ch in "*?["):
                continue
            if name in pinned and not pinned[name] & set(globs):
                return name
            pinned[name] = pinned.get(name, set(globs)) & set(globs)
        budget = node.reasoning_budget
        if budget is not None and budget.in_ is not None:
            levels = {str(v) for v in budget.in_}
            if "reasoning_budget" in pinned and not pinned["reasoning_budget"] & levels:
                return "reasoning_budget"
            pinned["reasoning_budget"] = pinned.get("reasoning_budget", levels) & levels
    return None
