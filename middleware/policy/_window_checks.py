"""The engine's answers for stream windows, bound once per request and day.

A stream screener asks two questions of every window: would evaluating it
decide nothing (:meth:`WindowChecks.quiet`), and where may an inline
pattern still be matching (:meth:`WindowChecks.hold_from`). Both depend
on the request's facts, the direction, the detectors the window is scanned
with and the day (exceptions expire); :meth:`PolicyEngine.window_checks
<middleware.policy.PolicyEngine.window_checks>` works those out once, so a
window pays only for looking at its text.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from middleware.policy._conditions import PatternNode, RequestFacts, SegmentInput

__all__ = ["WindowChecks"]

FindsNothing = Callable[[str, Collection[str]], bool]


@dataclass(frozen=True, slots=True)
class WindowChecks:
    """The stream pre-checks of one (direction, facts, detectors, day).

    ``patterns``: inline patterns of rules that could hold without a
    finding (``None``: some rule decides even on empty text, so no window
    is quiet). ``names``: detectors those rules need, ruled out by
    ``finds_nothing`` (the source's pre-check; ``None`` when it has none).
    ``hold_patterns``: patterns of the enforce-mode ``stream: hold`` rules.
    """

    facts: RequestFacts
    role: str | None
    patterns: tuple[PatternNode, ...] | None
    names: frozenset[str]
    finds_nothing: FindsNothing | None
    hold_patterns: tuple[PatternNode, ...]

    def quiet(self, text: str) -> bool:
        """Whether evaluating ``text`` would provably decide nothing (False: evaluate)."""
        if self.patterns is None:
            return False
        inp = SegmentInput(text, self.role, (), self.facts)
        if any(node.matches(inp) for node in self.patterns):
            return False
        if not self.names:
            return True
        return self.finds_nothing is not None and bool(self.finds_nothing(text, self.names))

    def hold_from(self, text: str) -> int | None:
        """Earliest start of a partial (or end-touching) match of a hold pattern."""
        if not self.hold_patterns:
            return None
        inp = SegmentInput(text, None, (), self.facts)
        earliest: int | None = None
        for node in self.hold_patterns:
            got = node.hold_from(inp)
            if got is not None and (earliest is None or got < earliest):
                earliest = got
        return earliest
