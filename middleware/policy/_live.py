"""Which compiled rules apply to a request: exceptions, fact guards, direction, stream mode.

A stream asks these questions on every window with the same request facts,
so :class:`LiveRules` memoises each answer per (facts, day). The memos are
bounded and derived only from the immutable rule tuple, so an engine that
owns one stays immutable in behaviour; a reload builds a new one.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from middleware.policy._compile import CompiledRule
from middleware.policy._conditions import PatternNode, RequestFacts, SegmentInput

__all__ = ["LiveRules", "remember"]

_MEMO_ENTRIES = 1024  # per memo; a full memo is cleared (facts vary little per process)

K = TypeVar("K")
V = TypeVar("V")


def remember(memo: dict[K, V], key: K, value: V) -> V:
    """Store ``value`` under ``key`` in a bounded memo (cleared when full); return it."""
    if len(memo) >= _MEMO_ENTRIES:
        memo.clear()
    memo[key] = value
    return value


class LiveRules:
    """Memoised views of ``rules`` for one request's facts on one day."""

    def __init__(self, rules: tuple[CompiledRule, ...]) -> None:
        self._rules = rules
        self._live: dict[tuple[RequestFacts, dt.date], list[CompiledRule]] = {}
        self._excepted: dict[tuple[RequestFacts, dt.date], tuple[str, ...]] = {}
        self._text: dict[
            tuple[RequestFacts, dt.date, str, frozenset[str] | None],
            tuple[tuple[CompiledRule, ...], frozenset[str]],
        ] = {}
        self._hold: dict[tuple[RequestFacts, str, dt.date], tuple[PatternNode, ...]] = {}

    def live(self, facts: RequestFacts, day: dt.date) -> list[CompiledRule]:
        """Rules not excepted and not ruled out by their fact guard."""
        got = self._live.get((facts, day))
        if got is None:
            probe = SegmentInput("", None, (), facts)
            got = [
                r
                for r in self._rules
                if not r.excepted(facts, day)
                and (r.guard is None or r.guard.test(probe) is not None)
            ]
            remember(self._live, (facts, day), got)
        return got

    def excepted(self, facts: RequestFacts, day: dt.date) -> tuple[str, ...]:
        """Ids of rules an unexpired exception skips for ``facts``."""
        got = self._excepted.get((facts, day))
        if got is None:
            got = tuple(r.id for r in self._rules if r.excepted(facts, day))
            remember(self._excepted, (facts, day), got)
        return got

    def text_rules(
        self, facts: RequestFacts, day: dt.date, direction: str, allowed: frozenset[str] | None
    ) -> tuple[tuple[CompiledRule, ...], frozenset[str]]:
        """The live text rules of ``direction`` and the detectors they need (within ``allowed``)."""
        key = (facts, day, direction, allowed)
        got = self._text.get(key)
        if got is None:
            rules = tuple(
                r for r in self.live(facts, day) if r.uses_text and direction in r.rule.directions
            )
            names = frozenset(
                n for r in rules for n in r.detectors if allowed is None or n in allowed
            )
            got = remember(self._text, key, (rules, names))
        return got

    def hold_nodes(
        self, facts: RequestFacts, direction: str, day: dt.date
    ) -> tuple[PatternNode, ...]:
        """Patterns of the live enforce-mode ``stream: hold`` rules of ``direction``."""
        key = (facts, direction, day)
        got = self._hold.get(key)
        if got is None:
            got = tuple(
                node
                for rule in self.live(facts, day)
                if direction in rule.rule.directions
                and rule.rule.stream == "hold"
                and rule.rule.mode == "enforce"
                for node in rule.patterns
            )
            remember(self._hold, key, got)
        return got
