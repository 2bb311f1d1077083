"""A regex-rule stream screening used to test the streaming mechanics."""

from __future__ import annotations

from dataclasses import dataclass

import regex

from middleware.adapters import Channel, Direction
from middleware.errors import ApiError
from middleware.holdback import pattern_hold_from
from middleware.streaming import ChannelScreen, WindowScreen, WindowVerdict


@dataclass(frozen=True)
class Rule:
    pattern: regex.Pattern[str]
    action: str  # "redact" | "block"
    mask: str = "<REDACTED>"
    directions: tuple[str, ...] = ("output", "reasoning")


def redact_all(rules: list[Rule], text: str, direction: str = "output") -> str:
    """The non-streamed reference: apply every redact rule to the whole text."""
    spans = []
    for rule in rules:
        if rule.action == "redact" and direction in rule.directions:
            spans.extend((m.start(), m.end(), rule.mask) for m in rule.pattern.finditer(text))
    out, pos = [], 0
    for start, end, mask in sorted(spans):
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(mask)
        pos = end
    out.append(text[pos:])
    return "".join(out)


class RuleScreening:
    def __init__(self, rules: list[Rule], *, overlap: int = 64, max_hold: int = 512) -> None:
        self.rules = rules
        self.overlap = overlap
        self.max_hold = max_hold
        self.screens: list[WindowScreen] = []

    def open(self, direction: Direction, channel: Channel, choice: int) -> ChannelScreen | None:
        active = [r for r in self.rules if direction in r.directions]
        if not active:
            return None

        async def evaluate(window: str, final: bool) -> WindowVerdict:
            hold: int | None = None
            spans: list[tuple[int, int, str]] = []
            for rule in active:
                pending = None if final else pattern_hold_from(rule.pattern, window)
                if pending is not None:
                    hold = pending if hold is None else min(hold, pending)
                for m in rule.pattern.finditer(window):
                    if pending is not None and m.end() == len(window):
                        continue
                    if rule.action == "block":
                        return WindowVerdict(
                            block=ApiError(
                                400, "Output blocked by policy.", code="content_policy_violation"
                            )
                        )
                    spans.append((m.start(), m.end(), rule.mask))
            return WindowVerdict(redactions=tuple(spans), hold_from=hold)

        screen = WindowScreen(evaluate, overlap=self.overlap, max_hold=self.max_hold)
        self.screens.append(screen)
        return screen
