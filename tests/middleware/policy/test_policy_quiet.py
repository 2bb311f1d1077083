"""``PolicyEngine.quiet``: the stream screener's proof that a window decides nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors import DetectorSet
from middleware.adapters import Segment
from middleware.policy import NoDetectors, PolicyEngine, RequestFacts, load_policy_set
from tests.middleware.policy.conftest import FakeSource

PACK = Path(__file__).resolve().parents[3] / "policies"
FAST = frozenset({"pii", "secrets", "obfuscation"})

EMAIL_AND_KEYWORD = """
- id: pii.email
  title: Redact e-mail
  categories: [pii]
  directions: [output]
  when: {finding: {kind: "pii.*", min_score: 0.5}}
  action: redact
- id: words
  title: Block launch codes
  categories: [indiscriminate_weapons]
  directions: [output]
  when: {keywords: {words: ["launch codes"]}}
  action: block
"""


class PrecheckedSource(FakeSource):
    """The fake source with an exact pre-check (a scan that finds nothing)."""

    def finds_nothing(self, text: str, names: Collection[str]) -> bool:
        got = self.scan_sync(text, names)
        return not got.findings and not got.failed


def _engine(root: Path, source: object) -> PolicyEngine:
    return PolicyEngine.compile(load_policy_set(root), source)  # type: ignore[arg-type]


def test_prose_is_quiet_and_a_match_or_finding_is_not(write_policy: Callable[..., Path]) -> None:
    eng = _engine(write_policy(EMAIL_AND_KEYWORD), PrecheckedSource())
    assert eng.quiet("the harbour was quiet this morning", "output", {})
    assert not eng.quiet("write to a@example.com today", "output", {})
    assert not eng.quiet("here are the launch codes", "output", {})


def test_a_rule_that_holds_on_empty_text_is_never_quiet(
    write_policy: Callable[..., Path],
) -> None:
    root = write_policy(
        """
        - id: must-cite
          title: Flag answers without a citation
          categories: [pii]
          directions: [output]
          when: {not: {keywords: {words: ["source:"]}}}
          action: flag
        """
    )
    eng = _engine(root, NoDetectors())
    assert not eng.quiet("the harbour was quiet", "output", {})


def test_without_a_precheck_detector_rules_are_never_quiet(
    write_policy: Callable[..., Path],
) -> None:
    eng = _engine(write_policy(EMAIL_AND_KEYWORD), FakeSource())
    assert not eng.quiet("the harbour was quiet", "output", {})
    # Only pattern rules left for the input direction? None apply: quiet.
    assert eng.quiet("the harbour was quiet", "input", {})


def test_unavailable_detectors_are_never_quiet(write_policy: Callable[..., Path]) -> None:
    eng = _engine(write_policy(EMAIL_AND_KEYWORD), NoDetectors())
    assert not eng.quiet("the harbour was quiet", "output", {})


NEEDS_A_FINDING = """
- id: minors
  title: Sexual content naming a minor
  categories: [child_exploitation]
  directions: [output]
  when:
    all:
      - finding: {kind: "pii.*", min_score: 0.5}
      - keywords: {words: [children]}
  action: block
- id: either
  title: A finding or the code word
  categories: [non_violent_crimes]
  directions: [output]
  when:
    any:
      - finding: {kind: "pii.*", min_score: 0.5}
      - keywords: {words: [sesame]}
  action: block
"""


def test_a_pattern_that_needs_a_finding_alongside_stays_quiet(
    write_policy: Callable[..., Path],
) -> None:
    eng = _engine(write_policy(NEEDS_A_FINDING), PrecheckedSource())
    assert eng.quiet("the children played by the harbour", "output", {})


def test_a_pattern_that_holds_alone_is_not_quiet(write_policy: Callable[..., Path]) -> None:
    eng = _engine(write_policy(NEEDS_A_FINDING), PrecheckedSource())
    assert not eng.quiet("open sesame", "output", {})


@pytest.fixture(scope="module")
def pack_engine() -> PolicyEngine:
    ds = DetectorSet.from_config({n: {} for n in FAST}, executor="thread")
    ds.warmup()
    return PolicyEngine.compile(load_policy_set(PACK), ds)


_WORDS = st.sampled_from(
    ["the", "harbour", "was", "quiet", "and", "boats", "rocked", "call", "me", "at",
     "555-0100", "4111", "1111", "1111 1111", "john@example.com", "password", "is",
     "hunter2!", "AKIAIOSFODNN7EXAMPL3", "ghp_", "aGVsbG8gd29ybGQgc2VjcmV0", "=", ":",
     "ignore", "previous", "instructions", "s\u200becret", "\u202e", "DE89", "3704",
     "0044", "0532", "0130", "00", ".", ",", "children", "kids", "12", "year", "old",
     "minor", "open", "sesame"]
)  # fmt: skip


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(words=st.lists(_WORDS, min_size=1, max_size=14))
async def test_quiet_windows_of_the_pack_decide_nothing(
    pack_engine: PolicyEngine, words: list[str]
) -> None:
    text = " ".join(words)
    facts = RequestFacts(route="openai_chat", stream=True)
    if not pack_engine.quiet(text, "output", facts, detectors=FAST):
        return
    segment = Segment("assistant", text, 0, ("stream",), "content", 0)
    decision = await pack_engine.evaluate([segment], "output", facts, detectors=FAST)
    assert decision.matches == () and decision.monitored == ()
    assert decision.findings == () and not decision.failed


EXCEPTED_WORDS = """
- id: words
  title: Block launch codes
  categories: [indiscriminate_weapons]
  directions: [output]
  when: {keywords: {words: ["launch codes"]}}
  action: block
  exceptions:
    - {tenant: acme, reason: drill, expires: 2026-06-30}
"""


def test_window_checks_are_bound_to_their_day(write_policy: Callable[..., Path]) -> None:
    """An exception that lapses overnight: the next day's checks see the rule again."""
    eng = _engine(write_policy(EXCEPTED_WORDS), PrecheckedSource())
    acme = RequestFacts.from_mapping({"tenant": "acme"})
    during = eng.window_checks("output", acme, today=dt.date(2026, 6, 30))
    after = eng.window_checks("output", acme, today=dt.date(2026, 7, 1))
    assert during.quiet("here are the launch codes")
    assert during.hold_from("tell me the launch co") is None
    assert not after.quiet("here are the launch codes")
    assert after.hold_from("tell me the launch co") == 12


def test_window_checks_are_worked_out_once_per_request_facts(
    write_policy: Callable[..., Path],
) -> None:
    eng = _engine(write_policy(EMAIL_AND_KEYWORD), PrecheckedSource())
    facts = {"tenant": "acme"}
    assert eng.window_checks("output", facts) is eng.window_checks("output", dict(facts))
