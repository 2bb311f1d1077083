"""Which rules apply to a request: exceptions by day, hold patterns by mode and stream mode."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from middleware.policy import PolicyEngine, RequestFacts, load_policy_set
from middleware.policy._live import LiveRules

RULES = """
- id: words.hold
  title: Hold a word
  categories: [secrets]
  when: {regex: {patterns: "forbidden"}}
  action: block
  directions: [input, output]
  exceptions:
    - {tenant: acme, reason: drill, expires: 2026-06-30}
- id: words.audit
  title: Audit a word
  categories: [secrets]
  when: {regex: {patterns: "watched"}}
  action: block
  directions: [input, output]
  stream: audit
- id: words.monitor
  title: Monitor a word
  categories: [secrets]
  mode: monitor
  when: {regex: {patterns: "noted"}}
  action: block
  directions: [input, output]
"""


def _live(write_policy: Callable[..., Path], source: Any) -> LiveRules:
    return LiveRules(PolicyEngine.compile(load_policy_set(write_policy(RULES)), source).rules)


def test_an_excepted_rule_is_not_live_until_its_exception_expires(
    write_policy: Callable[..., Path], source: Any
) -> None:
    live = _live(write_policy, source)
    acme = RequestFacts.from_mapping({"tenant": "acme"})
    during, after = dt.date(2026, 6, 30), dt.date(2026, 7, 1)
    assert "words.hold" not in {r.id for r in live.live(acme, during)}
    assert live.excepted(acme, during) == ("words.hold",)
    assert "words.hold" in {r.id for r in live.live(acme, after)}
    assert live.excepted(acme, after) == ()


def test_only_enforced_hold_rules_give_hold_patterns(
    write_policy: Callable[..., Path], source: Any
) -> None:
    live = _live(write_policy, source)
    nodes = live.hold_nodes(RequestFacts.from_mapping({}), "output", dt.date(2026, 1, 1))
    assert [p.pattern for n in nodes for p in n.patterns] == ["forbidden"]
