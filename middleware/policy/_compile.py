"""Compile a validated :class:`PolicySet` once: conditions, patterns, detectors, exceptions.

Compiling resolves each rule's finding kinds to the detectors that emit
them (so a request runs only the detectors its active rules need), splits
off a fact-only guard (rules whose facts rule them out cost nothing), and
compiles inline regexes and keyword automata. An invalid regex is a
:class:`PolicyIssue`, reported with every other one.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

import regex

from middleware.policy._condition_compiler import CompileInfo, compile_condition
from middleware.policy._conditions import Node, PatternNode, RequestFacts
from middleware.policy._loader import PolicyIssue, PolicySet
from middleware.policy._schema import Condition, Rule, RuleException
from middleware.policy._sources import EXPECTED_DETECTORS, globs_overlap

__all__ = ["CompiledException", "CompiledRule", "compile_rules", "detectors_for_kind"]

_FACT_KEYS = ("tenant", "tier", "route", "model", "stream", "reasoning_budget", "actor_risk")


@dataclass(frozen=True, slots=True)
class CompiledException:
    """A rule exception: skip the rule where every given scope matches, until it expires."""

    scopes: tuple[tuple[str, tuple[str, ...]], ...]
    expires: dt.date
    reason: str

    def applies(self, facts: RequestFacts, today: dt.date) -> bool:
        """Whether it exempts a request with ``facts`` on ``today`` (expiry inclusive)."""
        if today > self.expires:
            return False
        for name, globs in self.scopes:
            value = getattr(facts, name)
            if value is None or not any(fnmatchcase(value, g) for g in globs):
                return False
        return True


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """One rule, ready to evaluate.

    ``guard`` holds the rule's top-level fact conditions (``None`` = none);
    ``uses_text`` is false for rules decided by facts alone (evaluated once per
    request, not per segment); ``detectors`` are the detector names its
    findings need; ``max_match`` is its longest inline match (``inf`` =
    unbounded).
    """

    rule: Rule
    file: str
    line: int
    guard: Node | None
    body: Node
    uses_text: bool
    detectors: frozenset[str]
    kinds: tuple[str, ...]
    max_match: float
    exceptions: tuple[CompiledException, ...]
    patterns: tuple[PatternNode, ...] = ()

    @property
    def id(self) -> str:
        """The rule id."""
        return self.rule.id

    def excepted(self, facts: RequestFacts, today: dt.date) -> bool:
        """Whether an unexpired exception exempts this request."""
        return any(e.applies(facts, today) for e in self.exceptions)


def detectors_for_kind(kind: str, kinds: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """Detector names whose kinds overlap ``kind``; falls back to the expected catalog."""
    for catalog in (kinds, EXPECTED_DETECTORS):
        found = frozenset(n for n, ks in catalog.items() if any(globs_overlap(kind, k) for k in ks))
        if found:
            return found
    return frozenset({kind.split(".", 1)[0]})


def _guard(cond: Condition) -> Node | None:
    keys = [k for k in _FACT_KEYS if k in cond.model_fields_set and getattr(cond, k) is not None]
    if not keys:
        return None
    sub = Condition.model_validate({k: getattr(cond, k) for k in keys})
    return compile_condition(sub, CompileInfo())


def _exception(exc: RuleException) -> CompiledException:
    scopes = tuple(
        (name, globs)
        for name in ("tenant", "tier", "route", "model")
        if (globs := getattr(exc, name)) is not None
    )
    return CompiledException(scopes, exc.expires, exc.reason)


def compile_rules(
    policy_set: PolicySet, kinds: Mapping[str, frozenset[str]]
) -> tuple[tuple[CompiledRule, ...], list[PolicyIssue]]:
    """Compile every rule against the detectors in ``kinds``; errors as issues."""
    out: list[CompiledRule] = []
    issues: list[PolicyIssue] = []
    for rule, pol, index in policy_set.rules():
        info = CompileInfo()
        try:
            body = compile_condition(rule.when, info)
        except (re.error, regex.error) as exc:
            issues.append(
                PolicyIssue(
                    "error",
                    "regex",
                    f"invalid regex in rule {rule.id!r}: {exc}",
                    pol.path,
                    pol.rule_line(index, "when"),
                    rule.id,
                )
            )
            continue
        names: set[str] = set()
        for kind in info.kinds:
            names |= detectors_for_kind(kind, kinds)
        out.append(
            CompiledRule(
                rule=rule,
                file=pol.path,
                line=pol.rule_line(index),
                guard=_guard(rule.when),
                body=body,
                uses_text=info.uses_text,
                detectors=frozenset(names),
                kinds=tuple(info.kinds),
                max_match=info.max_match,
                exceptions=tuple(_exception(e) for e in rule.exceptions),
                patterns=tuple(info.patterns),
            )
        )
    return tuple(out), issues


def longest_match(rules: tuple[CompiledRule, ...]) -> int | None:
    """Longest inline regex/keyword match of ``rules`` (``None`` = unbounded)."""
    widest = max((r.max_match for r in rules), default=0.0)
    return None if math.isinf(widest) else int(widest)
