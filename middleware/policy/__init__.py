"""Policies as YAML: schema, loader, compiled engine, enforcement addon, hot reload, tools.

Load and evaluate::

    engine = PolicyEngine.compile(load_policy_set("policies/"), build_source())
    decision = await engine.evaluate(segments, "input", RequestFacts(tier="free"))

In the proxy, :class:`PolicyAddon` enforces decisions and reloads the set.
"""

from __future__ import annotations

from middleware.policy._conditions import RequestFacts, Span
from middleware.policy._decision import (
    ACTION_STRENGTH,
    Decision,
    FindingSummary,
    PolicyRecord,
    RedactSpan,
    RuleHit,
    SegmentSpan,
    strongest,
)
from middleware.policy._engine import PolicyEngine, segment_direction
from middleware.policy._loader import (
    PolicyIssue,
    PolicyLoadError,
    PolicyRevision,
    PolicySet,
    load_policy_dir,
    load_policy_set,
)
from middleware.policy._redaction import Placeholders, apply_redactions, mask_label, merge_spans
from middleware.policy._schema import API_VERSION, TAXONOMY, PolicyFile, Rule
from middleware.policy._sources import (
    EXPECTED_DETECTORS,
    FindingSource,
    NoDetectors,
    ScanOutcome,
    SourceResult,
    build_source,
)

__all__ = [
    "ACTION_STRENGTH",
    "API_VERSION",
    "EXPECTED_DETECTORS",
    "TAXONOMY",
    "Decision",
    "FindingSource",
    "FindingSummary",
    "NoDetectors",
    "Placeholders",
    "PolicyEngine",
    "PolicyFile",
    "PolicyIssue",
    "PolicyLoadError",
    "PolicyRecord",
    "PolicyRevision",
    "PolicySet",
    "RedactSpan",
    "RequestFacts",
    "Rule",
    "RuleHit",
    "ScanOutcome",
    "SegmentSpan",
    "SourceResult",
    "Span",
    "apply_redactions",
    "build_source",
    "load_policy_dir",
    "load_policy_set",
    "mask_label",
    "merge_spans",
    "segment_direction",
    "strongest",
]
