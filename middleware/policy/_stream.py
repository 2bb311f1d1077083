"""Streamed output screened by the policy engine, window by window.

:class:`PolicyStreamScreening` gives each output and reasoning channel of a
stream a :class:`~middleware.holdback.WindowScreen` whose windows the policy
engine decides, on the engine and facts the request started with:

- pattern rules and cheap detectors (PII, secrets, obfuscation) run on every
  window (a window the engine proves quiet skips the scan), and text is
  held only where an inline pattern (:meth:`PolicyEngine.hold_from`) or a
  finding a ``hold`` rule waits for (the detectors' ``pending_from``) may
  still be in progress;
- costly learned detectors (``stream.windowed_detectors``) run on coarser
  windows -- every ``window_chars``, or at a sentence end -- so their cost per
  stream is bounded; text waits for them only if a ``hold`` rule needs them
  (otherwise they score each window behind the stream:
  :mod:`~middleware.policy._windows`);
- ``stream: cut`` rules never hold text: a block ends the stream as soon as
  the rule sees it (the text before stays delivered);
- ``stream: audit`` rules never hold or change text: their hits are recorded.

Every hit is merged into the request's :class:`PolicyRecord` output decision.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from middleware._context import RequestContext
from middleware.adapters import Channel, Direction, Segment
from middleware.errors import ApiError
from middleware.holdback import Window, WindowScreen, WindowVerdict, entity_hold_from
from middleware.policy._compile import CompiledRule
from middleware.policy._decision import Decision, FindingSummary, RuleHit, strongest
from middleware.policy._engine import PolicyEngine
from middleware.policy._outcome import redactions as outcome_redactions
from middleware.policy._redaction import apply_redactions
from middleware.policy._settings import StreamSettings
from middleware.policy._window_checks import WindowChecks
from middleware.policy._windows import ClassifierWindows
from middleware.streaming import ChannelScreen

if TYPE_CHECKING:
    from middleware.policy._addon import PolicyAddon, PolicyScratch

__all__ = ["PolicyStreamScreening"]


class PolicyStreamScreening:
    """The screens of one stream, bound to one request's policy scratch."""

    def __init__(
        self,
        ctx: RequestContext,
        addon: PolicyAddon,
        scratch: PolicyScratch,
        settings: StreamSettings,
    ) -> None:
        self._ctx = ctx
        self._addon = addon
        self._scratch = scratch
        self._settings = settings
        self._hits: dict[str, RuleHit] = {}
        self._monitored: dict[str, RuleHit] = {}
        self._findings: dict[str, FindingSummary] = {}
        self._failed: dict[str, str] = {}

    def open(self, direction: Direction, channel: Channel, choice: int) -> ChannelScreen | None:
        """A screen for the channel, or ``None`` when no text rule has its direction."""
        engine = self._scratch.engine
        rules = [r for r in engine.rules if direction in r.rule.directions and r.uses_text]
        if not rules:
            return None
        # Detectors this deployment lacks cannot be waited for.
        windowed = frozenset(self._settings.windowed_detectors) & engine.available
        needed = engine.detectors_for(direction)
        # Only ``hold`` rules make text wait for their detectors' entities.
        holding = frozenset(n for r in rules if _holds(r) for n in r.detectors)
        hold_kinds = frozenset(k for r in rules if _holds(r) for k in r.kinds)
        channel_screen = _ChannelPolicy(
            self,
            direction,
            channel,
            choice,
            fast=needed - windowed,
            windowed=needed & windowed,
            entity_hold=holding - windowed,
            hold_kinds=hold_kinds,
            hold_windowed=any(_holds(r) and r.detectors & windowed for r in rules),
        )
        return WindowScreen(
            channel_screen.evaluate,
            overlap=self._settings.overlap_chars,
            max_hold=self._settings.max_hold_chars,
            on_close=channel_screen.close,
        )

    @property
    def scratch(self) -> PolicyScratch:
        """The request's policy scratch: engine, facts, decision id, placeholders."""
        return self._scratch

    @property
    def settings(self) -> StreamSettings:
        """The ``policy.stream`` settings this stream was opened with."""
        return self._settings

    def block_error(self, decision: Decision) -> ApiError:
        """The error frame a mid-stream block of ``decision`` sends the client."""
        return self._addon.block_error(decision, self._scratch.decision_id, "Response")

    def is_new(self, decision: Decision) -> bool:
        """Whether ``decision`` adds to the record (a hit, or a detector failure not yet seen)."""
        return bool(
            decision.matches
            or decision.monitored
            or not decision.failed.keys() <= self._failed.keys()
        )

    # -- the record ---------------------------------------------------------------

    def record(self, decision: Decision, enforced: Iterable[RuleHit]) -> None:
        """Fold one window's outcome into the request's output decision."""
        for hit in enforced:
            self._hits[hit.rule_id] = _merge(self._hits.get(hit.rule_id), hit)
        enforced_ids = set(self._hits)
        for hit in (*decision.matches, *decision.monitored):
            if hit.rule_id not in enforced_ids:
                self._monitored[hit.rule_id] = _merge(self._monitored.get(hit.rule_id), hit)
        for f in decision.findings:
            old = self._findings.get(f.kind)
            self._findings[f.kind] = (
                f
                if old is None
                else FindingSummary(f.kind, max(f.max_score, old.max_score), f.count + old.count)
            )
        self._failed.update(decision.failed)
        hits = tuple(self._hits.values())
        monitored = tuple(self._monitored.values())
        output = Decision(
            direction="output",
            action=strongest(h.action for h in hits),
            would_have=strongest(h.action for h in (*hits, *monitored)),
            revision=self._scratch.engine.revision,
            matches=hits,
            monitored=monitored,
            findings=tuple(sorted(self._findings.values(), key=lambda f: f.kind)),
            failed=dict(self._failed),
        )
        record = dataclasses.replace(self._ctx.state["policy"], output=output)
        self._ctx.state["policy"] = record
        if self._ctx.decision != "block":
            self._ctx.decision = record.action


class _ChannelPolicy:
    """Decides the windows of one channel (see the module docstring)."""

    def __init__(
        self,
        owner: PolicyStreamScreening,
        direction: Direction,
        channel: Channel,
        choice: int,
        *,
        fast: frozenset[str],
        windowed: frozenset[str],
        hold_windowed: bool,
        entity_hold: frozenset[str],
        hold_kinds: frozenset[str],
    ) -> None:
        self._owner = owner
        self._direction = direction
        self._channel = channel
        self._choice = choice
        self._fast = fast
        self._windowed = windowed
        self._hold_windowed = hold_windowed
        self._entity_hold = entity_hold
        self._hold_kinds = hold_kinds
        # (engine, UTC day number, its window checks): asked again on a new day.
        self._checks_of: tuple[PolicyEngine, int, WindowChecks] | None = None
        settings = owner.settings
        self._windows = ClassifierWindows(
            self._decide_windowed,
            window_chars=settings.window_chars,
            # Text waits for these windows only if a hold rule needs them.
            smallest=settings.min_window_chars if hold_windowed else settings.cut_window_chars,
            overlap=settings.overlap_chars,
            behind=not hold_windowed,
        )

    async def evaluate(self, window: Window) -> WindowVerdict:
        """Block, redact and hold for one window."""
        owner = self._owner
        scratch = owner.scratch
        engine = scratch.engine
        text = window.text
        decisions: list[tuple[Decision, int, bool]] = []
        # Most windows of prose match nothing: a pre-check proves it without
        # the engine (no scan, no decision to build).
        checks = self._checks(engine)
        if not checks.quiet(text):
            decisions.append((await self._decide(engine, text, self._fast), 0, False))
        hold: int | None = None
        if not window.final:
            hold = checks.hold_from(text)
            if self._entity_hold:
                hold = _earliest(hold, self._pending_from(engine, text))
        if self._windowed:
            decisions.extend((d, at, True) for d, at in await self._windows.feed(window))
            if self._hold_windowed and not window.final:
                hold = _earliest(hold, max(0, self._windows.classified_to - window.start))
        masks: list[tuple[int, int, str]] = []
        for dec, offset, coarse in decisions:
            if coarse:
                # The coarse pass re-runs pattern rules too: keep only the
                # rules that needed the windowed detectors.
                dec = self._only_windowed(engine, dec)
            enforced = self._enforced(engine, dec)
            if owner.is_new(dec):
                owner.record(dec, enforced)
            blocking = [h for h in enforced if h.action == "block"]
            if blocking:
                blocked = dataclasses.replace(dec, matches=tuple(blocking), action="block")
                return WindowVerdict(block=owner.block_error(blocked))
            for spans in outcome_redactions(tuple(enforced), engine.by_id).values():
                for span in spans:
                    start, end = span.start + offset, span.end + offset
                    if end <= 0:
                        continue  # already released before this window
                    start = max(start, 0)
                    shifted = dataclasses.replace(span, start=0, end=end - start)
                    masked = apply_redactions(text[start:end], [shifted], scratch.placeholders)
                    masks.append((start, end, masked))
        return WindowVerdict(redactions=tuple(masks), hold_from=hold)

    def _checks(self, engine: PolicyEngine) -> WindowChecks:
        """The engine's window checks for this channel, asked again only on a new (UTC) day."""
        now = time.time()
        day = int(now // 86400)  # the UTC day, as a number: cheap to compare per window
        kept = self._checks_of
        if kept is not None and kept[0] is engine and kept[1] == day:
            return kept[2]
        today = dt.datetime.fromtimestamp(now, dt.UTC).date()
        checks = engine.window_checks(
            self._direction, self._owner.scratch.facts, detectors=self._fast, today=today
        )
        self._checks_of = (engine, day, checks)
        return checks

    def _pending_from(self, engine: PolicyEngine, text: str) -> int | None:
        """Where a finding a ``hold`` rule waits for may still be growing."""
        precise = getattr(engine.source, "pending_from", None)
        if precise is None:
            return entity_hold_from(text)
        return precise(text, self._entity_hold, self._hold_kinds)  # type: ignore[no-any-return]

    def close(self) -> None:
        """The stream is gone: stop any classifier window decided behind it."""
        self._windows.close()

    async def _decide_windowed(self, text: str) -> Decision:
        return await self._decide(self._owner.scratch.engine, text, self._windowed)

    async def _decide(self, engine: PolicyEngine, text: str, names: frozenset[str]) -> Decision:
        segment = Segment("assistant", text, 0, ("stream",), self._channel, self._choice)
        scratch = self._owner.scratch
        return await engine.evaluate([segment], self._direction, scratch.facts, detectors=names)

    def _only_windowed(self, engine: PolicyEngine, decision: Decision) -> Decision:
        wanted = {r.id for r in engine.rules if r.detectors & self._windowed}
        return dataclasses.replace(
            decision,
            matches=tuple(h for h in decision.matches if h.rule_id in wanted),
            monitored=tuple(h for h in decision.monitored if h.rule_id in wanted),
        )

    @staticmethod
    def _enforced(engine: PolicyEngine, decision: Decision) -> list[RuleHit]:
        """Enforce-mode hits of ``hold`` and ``cut`` rules (audit rules only record).

        A ``cut`` rule never holds text, so its redactions can only reach text
        still held for another rule; its block ends the stream where it is.
        """
        by_id = engine.by_id
        return [h for h in decision.matches if by_id[h.rule_id].rule.stream != "audit"]


def _holds(rule: CompiledRule) -> bool:
    """Whether ``rule`` makes streamed text wait: enforced, in ``hold`` mode."""
    return rule.rule.mode == "enforce" and rule.rule.stream == "hold"


def _earliest(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else min(a, b)


def _merge(old: RuleHit | None, new: RuleHit) -> RuleHit:
    if old is None:
        return dataclasses.replace(new, spans=())
    return dataclasses.replace(
        old,
        count=old.count + new.count,
        max_score=max(old.max_score, new.max_score),
        kinds=tuple(sorted({*old.kinds, *new.kinds})),
    )
