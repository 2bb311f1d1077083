"""The policy engine: evaluate segments of one direction against a compiled ruleset.

:class:`PolicyEngine` is immutable; a reload builds a new one and swaps the
reference, so a request that started on one engine finishes on it.
``evaluate`` is usable incrementally (a stream screener calls it on each
window of text); :attr:`PolicyEngine.max_match_chars` bounds how far back an
inline pattern can reach, for the screener's hold-back.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from middleware.adapters import Segment
from middleware.policy._compile import CompiledRule, compile_rules, longest_match
from middleware.policy._conditions import PatternNode, RequestFacts, SegmentInput
from middleware.policy._decision import (
    Decision,
    FindingSummary,
    SegmentSpan,
    hit_spans,
    strongest,
)
from middleware.policy._live import LiveRules, remember
from middleware.policy._loader import PolicyLoadError, PolicyRevision, PolicySet
from middleware.policy._outcome import cap_level, redactions, rule_hit
from middleware.policy._possible import could_hold_without_findings
from middleware.policy._sources import FindingSource, ScanOutcome, SourceResult
from middleware.policy._window_checks import WindowChecks

__all__ = ["PolicyEngine", "segment_direction"]

_EMPTY = SourceResult()
_ChecksKey = tuple[RequestFacts, str, str | None, frozenset[str] | None, dt.date]


def segment_direction(segment: Segment, direction: str) -> str:
    """A segment's direction: reasoning-channel output counts as ``reasoning``."""
    if direction != "input" and segment.channel == "reasoning":
        return "reasoning"
    return direction


@dataclass(frozen=True, slots=True)
class _Plan:
    segments: tuple[Segment, ...]
    directions: tuple[str, ...]
    rules: tuple[tuple[CompiledRule, ...], ...]  # text rules active per segment
    names: tuple[frozenset[str], ...]  # detectors to scan per segment
    request_rules: tuple[CompiledRule, ...]  # fact-only rules, evaluated once
    excepted: tuple[str, ...]  # rules skipped by an exception for this request


class PolicyEngine:
    """A compiled ruleset bound to a finding source (see the module docstring)."""

    def __init__(
        self, policy_set: PolicySet, rules: tuple[CompiledRule, ...], source: FindingSource
    ) -> None:
        self.policy_set = policy_set
        self.rules = rules
        self.source = source
        self.available = frozenset(source.kinds())
        self.max_match_chars = longest_match(rules)
        self._select = LiveRules(rules)
        self._checks_memo: dict[_ChecksKey, WindowChecks] = {}
        self.by_id: Mapping[str, CompiledRule] = {r.id: r for r in rules}

    @classmethod
    def compile(cls, policy_set: PolicySet, source: FindingSource) -> PolicyEngine:
        """Compile ``policy_set``; raises :class:`PolicyLoadError` on compile errors."""
        rules, issues = compile_rules(policy_set, source.kinds())
        if issues:
            raise PolicyLoadError(issues)
        return cls(policy_set, rules, source)

    @property
    def revision(self) -> PolicyRevision:
        """The revision of the compiled set."""
        return self.policy_set.revision

    def detectors_for(self, direction: str) -> frozenset[str]:
        """Detectors some rule of ``direction`` may need (before facts narrow it)."""
        return frozenset(
            n for r in self.rules if direction in r.rule.directions for n in r.detectors
        )

    # -- evaluation ----------------------------------------------------------

    async def evaluate(
        self,
        segments: Sequence[Segment],
        direction: str,
        facts: RequestFacts | Mapping[str, object],
        *,
        today: dt.date | None = None,
        detectors: Collection[str] | None = None,
    ) -> Decision:
        """Evaluate ``segments`` (all of ``direction``; output reasoning deltas count as
        ``reasoning``) and decide. Detectors run concurrently per segment.

        ``detectors`` restricts which detectors run (``None``: all the rules
        need); rules whose detectors were left out see no findings from them
        (a stream screener runs costly detectors on coarser windows).
        """
        plan = self._plan(segments, direction, _facts(facts), today, detectors)
        todo = _todo(plan)
        if len(todo) == 1:  # one segment (a stream window): no task per scan
            scans = [await self._scan(todo[0][0].text, todo[0][1])]
        else:
            scans = list(await asyncio.gather(*(self._scan(s.text, n) for s, n in todo)))
        return self._decide(plan, direction, _facts(facts), scans)

    def evaluate_sync(
        self,
        segments: Sequence[Segment],
        direction: str,
        facts: RequestFacts | Mapping[str, object],
        *,
        today: dt.date | None = None,
    ) -> Decision:
        """Blocking :meth:`evaluate` for tools (never on the event loop)."""
        plan = self._plan(segments, direction, _facts(facts), today)
        scans = [self._scan_sync(s.text, n) for s, n in _todo(plan)]
        return self._decide(plan, direction, _facts(facts), scans)

    async def _scan(self, text: str, names: frozenset[str]) -> ScanOutcome:
        if not names & self.available:
            return _missing(names)
        got = await self.source.scan(text, sorted(names & self.available))
        return _with_missing(got, names - self.available)

    def _scan_sync(self, text: str, names: frozenset[str]) -> ScanOutcome:
        if not names & self.available:
            return _missing(names)
        got = self.source.scan_sync(text, sorted(names & self.available))
        return _with_missing(got, names - self.available)

    def _plan(
        self,
        segments: Sequence[Segment],
        direction: str,
        facts: RequestFacts,
        today: dt.date | None,
        only: Collection[str] | None = None,
    ) -> _Plan:
        day = today or dt.datetime.now(dt.UTC).date()
        live = self._select.live(facts, day)
        excepted = self._select.excepted(facts, day)
        dirs = tuple(segment_direction(s, direction) for s in segments)
        allowed = None if only is None else frozenset(only)
        # Segments of one direction share their rules: a long conversation
        # costs one pass over the rules per direction, not one per message.
        by_dir = {d: self._select.text_rules(facts, day, d, allowed) for d in set(dirs)}
        per_seg = tuple(by_dir[d][0] for d in dirs)
        names = tuple(by_dir[d][1] for d in dirs)
        wanted = {direction, *dirs}
        request_rules = tuple(
            r for r in live if not r.uses_text and wanted & set(r.rule.directions)
        )
        return _Plan(tuple(segments), dirs, per_seg, names, request_rules, excepted)

    def window_checks(
        self,
        direction: str,
        facts: RequestFacts | Mapping[str, object],
        *,
        role: str | None = "assistant",
        detectors: Collection[str] | None = None,
        today: dt.date | None = None,
    ) -> WindowChecks:
        """The stream pre-checks for windows of one request (see :class:`WindowChecks`).

        Bound to ``facts``, ``direction``, ``detectors`` (as in
        :meth:`evaluate`) and the day, and memoised: a screener may keep the
        result for the rest of the day.
        """
        f = _facts(facts)
        only = None if detectors is None else frozenset(detectors)
        day = today or dt.datetime.now(dt.UTC).date()
        key = (f, direction, role, only, day)
        got = self._checks_memo.get(key)
        if got is None:
            patterns, names = self._quiet_plan(f, direction, role, only, day)
            check = getattr(self.source, "finds_nothing", None)
            holds = self._select.hold_nodes(f, direction, day)
            got = remember(
                self._checks_memo, key, WindowChecks(f, role, patterns, names, check, holds)
            )
        return got

    def quiet(
        self,
        text: str,
        direction: str,
        facts: RequestFacts | Mapping[str, object],
        *,
        role: str | None = "assistant",
        detectors: Collection[str] | None = None,
        today: dt.date | None = None,
    ) -> bool:
        """Whether :meth:`evaluate` of one ``text`` segment would decide nothing.

        True only when it provably would: no rule of ``direction`` holds on a
        text with no pattern match and no finding (e.g. no ``not`` rule, no
        fact-only rule), no inline pattern matches ``text`` of those rules
        that could hold without a finding (:mod:`~middleware.policy._possible`),
        and the source's pre-check (:class:`PrecheckSource`) rules out every
        detector they need (restricted to ``detectors`` as in
        :meth:`evaluate`). False means "evaluate to know". A stream screener
        asks this per window (through :meth:`window_checks`) and evaluates
        only windows that are not quiet.
        """
        checks = self.window_checks(direction, facts, role=role, detectors=detectors, today=today)
        return checks.quiet(text)

    def _quiet_plan(
        self,
        facts: RequestFacts,
        direction: str,
        role: str | None,
        only: frozenset[str] | None,
        day: dt.date,
    ) -> tuple[tuple[PatternNode, ...] | None, frozenset[str]]:
        """The patterns and detectors :meth:`quiet` checks (``None``: never quiet)."""
        segment = Segment(role or "assistant", "", 0, (), "content", 0)
        plan = self._plan([segment], direction, facts, day, only)
        names = plan.names[0]
        if not names <= self.available:
            return None, names  # unavailable detectors decide fail-open/closed
        empty = self._decide(plan, direction, facts, [_EMPTY])
        if empty.matches or empty.monitored or empty.failed:
            return None, names
        # Quiet also needs "no findings" (the pre-check): a rule that cannot
        # hold without one need not have its patterns checked.
        probe = SegmentInput("", role or "assistant", (), facts)
        patterns = tuple(
            node
            for rule in plan.rules[0]
            if could_hold_without_findings(rule.body, probe)
            for node in rule.patterns
        )
        return patterns, names

    def hold_from(
        self,
        text: str,
        direction: str,
        facts: RequestFacts | Mapping[str, object],
        *,
        today: dt.date | None = None,
    ) -> int | None:
        """Where in ``text`` an inline regex or keyword may still be matching.

        The earliest start of a partial match, or of a complete match that
        touches the end (more text could extend or cancel it), over the
        enforce-mode ``stream: hold`` rules active for ``direction``; ``None``
        when nothing is pending. Detector findings are opaque here: a
        screener combines this with its own hold rule for detector entities
        (``middleware.holdback.entity_hold_from``).
        """
        return self.window_checks(direction, facts, today=today).hold_from(text)

    def _decide(
        self, plan: _Plan, direction: str, facts: RequestFacts, scans: list[ScanOutcome]
    ) -> Decision:
        spans: dict[str, list[SegmentSpan]] = defaultdict(list)
        matched_segments: dict[str, int] = defaultdict(int)
        hit_dirs: dict[str, set[str]] = defaultdict(set)
        failed_closed: dict[str, set[str]] = defaultdict(set)
        by_id = {r.id: r for r in self.rules}
        failed: dict[str, str] = {}
        findings: dict[str, list[float]] = defaultdict(list)
        scan_iter = iter(scans)
        for i, seg in enumerate(plan.segments):
            scan = next(scan_iter) if plan.names[i] else _EMPTY
            failed.update(scan.failed)
            for f in scan.findings:
                findings[f.kind].append(f.score)
            inp = SegmentInput(seg.text, seg.role, scan.findings, facts)
            for rule in plan.rules[i]:
                got = rule.body.test(inp)
                if got is not None:
                    spans[rule.id].extend(hit_spans(i, got))
                    matched_segments[rule.id] += 1
                    hit_dirs[rule.id].add(plan.directions[i])
                elif rule.rule.on_detector_error == "closed":
                    down = rule.detectors & set(scan.failed)
                    if down:
                        failed_closed[rule.id] |= down
                        hit_dirs[rule.id].add(plan.directions[i])
        empty = SegmentInput("", None, (), facts)
        for rule in plan.request_rules:
            if rule.body.test(empty) is not None:
                matched_segments[rule.id] += 1
                hit_dirs[rule.id].add(direction)
        fired = [r for r in self.rules if r.id in hit_dirs]
        hits = [
            rule_hit(r, spans[r.id], matched_segments[r.id], hit_dirs[r.id], failed_closed[r.id])
            for r in fired
        ]
        enforce = tuple(h for h in hits if h.mode == "enforce")
        monitor = tuple(h for h in hits if h.mode == "monitor")
        return Decision(
            direction=direction,
            action=strongest(h.action for h in enforce),
            would_have=strongest(h.action for h in hits),
            revision=self.revision,
            matches=enforce,
            monitored=monitor,
            redactions=redactions(enforce, by_id),
            cap_level=cap_level(enforce, by_id),
            findings=tuple(FindingSummary(k, max(v), len(v)) for k, v in sorted(findings.items())),
            failed=failed,
            excepted=plan.excepted,
        )


def _facts(facts: RequestFacts | Mapping[str, object]) -> RequestFacts:
    return facts if isinstance(facts, RequestFacts) else RequestFacts.from_mapping(facts)


def _todo(plan: _Plan) -> list[tuple[Segment, frozenset[str]]]:
    return [(s, n) for s, n in zip(plan.segments, plan.names, strict=True) if n]


def _missing(names: frozenset[str]) -> ScanOutcome:
    return SourceResult((), {n: "unavailable" for n in names})


def _with_missing(got: ScanOutcome, missing: frozenset[str]) -> ScanOutcome:
    if not missing:
        return got
    return SourceResult(got.findings, {**got.failed, **{n: "unavailable" for n in missing}})
