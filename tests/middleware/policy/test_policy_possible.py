"""Three-valued analysis: can a condition hold on a text with no findings?"""

from __future__ import annotations

import re

import regex

from middleware.policy._conditions import (
    AllOf,
    AnyOf,
    FindingNode,
    GlobFact,
    NotOf,
    PatternNode,
    RequestFacts,
    SegmentInput,
)
from middleware.policy._possible import could_hold_without_findings

FINDING = FindingNode("pii.*", 0.5, 1)
PATTERN = PatternNode((re.compile("children"),), (regex.compile("children"),), "kw", True, 1)
PROBE = SegmentInput("", "assistant", (), RequestFacts(tenant="acme"))


def test_a_finding_cannot_hold() -> None:
    assert not could_hold_without_findings(FINDING, PROBE)


def test_a_pattern_may_hold() -> None:
    assert could_hold_without_findings(PATTERN, PROBE)


def test_all_of_a_pattern_and_a_finding_cannot_hold() -> None:
    assert not could_hold_without_findings(AllOf((PATTERN, FINDING)), PROBE)


def test_any_of_a_pattern_and_a_finding_may_hold() -> None:
    assert could_hold_without_findings(AnyOf((FINDING, PATTERN)), PROBE)


def test_not_of_a_finding_holds() -> None:
    assert could_hold_without_findings(NotOf(FINDING), PROBE)


def test_not_of_a_pattern_may_hold() -> None:
    assert could_hold_without_findings(NotOf(PATTERN), PROBE)


def test_known_facts_decide() -> None:
    assert could_hold_without_findings(AllOf((GlobFact("tenant", ("acme",)), PATTERN)), PROBE)
    assert not could_hold_without_findings(AllOf((GlobFact("tenant", ("other",)), PATTERN)), PROBE)
