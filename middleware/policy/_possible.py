"""What a condition can still do once findings are ruled out (for quiet windows).

:meth:`PolicyEngine.quiet <middleware.policy.PolicyEngine.quiet>` proves a
stream window decides nothing. When the detectors' pre-check says a window
has no findings, a rule whose condition needs a finding in every branch
(``all: [finding: misuse.sexual_content, regex: MINOR_AGE]``) cannot hold,
whatever its inline patterns match; checking those patterns would only send
every window that mentions "children" to a full evaluation.

:func:`could_hold_without_findings` answers that with three-valued logic:
facts and the role are known, findings are absent, patterns are unknown.
"""

from __future__ import annotations

from middleware.policy._conditions import (
    AllOf,
    AnyOf,
    FindingNode,
    GlobFact,
    Node,
    NotOf,
    PatternNode,
    SegmentInput,
    ValueFact,
)

__all__ = ["could_hold_without_findings"]


def could_hold_without_findings(node: Node, probe: SegmentInput) -> bool:
    """Whether ``node`` may hold on some text that yields no findings.

    ``probe`` carries the facts and role (its text and findings are not
    read). ``True`` on any doubt (a node type it does not know), so a caller
    that skips a rule on ``False`` stays sound.
    """
    return _outcomes(node, probe)[0]


def _outcomes(node: Node, probe: SegmentInput) -> tuple[bool, bool]:
    """``(may be true, may be false)`` with no findings and unknown patterns."""
    if isinstance(node, FindingNode):
        holds = node.min_count <= 0
        return holds, not holds
    if isinstance(node, PatternNode):
        return True, node.min_count > 0
    if isinstance(node, AllOf):
        kids = [_outcomes(c, probe) for c in node.children]
        return all(t for t, _ in kids), any(f for _, f in kids)
    if isinstance(node, AnyOf):
        kids = [_outcomes(c, probe) for c in node.children]
        return any(t for t, _ in kids), all(f for _, f in kids)
    if isinstance(node, NotOf):
        true, false = _outcomes(node.child, probe)
        return false, true
    if isinstance(node, GlobFact | ValueFact):
        holds = node.test(probe) is not None  # facts and role are known
        return holds, not holds
    return True, True
