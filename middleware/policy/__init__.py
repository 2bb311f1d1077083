"""Policies as YAML: schema, loader, compiled engine, enforcement addon, hot reload, tools.

Load and evaluate::

    engine = PolicyEngine.compile(load_policy_set("policies/"), build_source())
    decision = await engine.evaluate(segments, "input", RequestFacts(tier="free"))

In the proxy, :class:`PolicyAddon` (built by :func:`policy_addons`) enforces
decisions and reloads the set; ``middleware.policy.cli`` holds the
``tollgate policy ...`` and ``tollgate scan`` commands.
"""

from __future__ import annotations

from middleware.policy._addon import DECISION_HEADER, PolicyAddon, policy_addons, request_facts
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
from middleware.policy._settings import PolicySettings
from middleware.policy._sources import (
    EXPECTED_DETECTORS,
    FindingSource,
    NoDetectors,
    ScanOutcome,
    SourceResult,
    build_source,
)
from middleware.policy._store import PolicyStore, ReloadStatus

__all__ = [
    "ACTION_STRENGTH",
    "API_VERSION",
    "DECISION_HEADER",
    "EXPECTED_DETECTORS",
    "TAXONOMY",
    "Decision",
    "FindingSource",
    "FindingSummary",
    "NoDetectors",
    "Placeholders",
    "PolicyAddon",
    "PolicyEngine",
    "PolicyFile",
    "PolicyIssue",
    "PolicyLoadError",
    "PolicyRecord",
    "PolicyRevision",
    "PolicySet",
    "PolicySettings",
    "PolicyStore",
    "RedactSpan",
    "ReloadStatus",
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
    "policy_addons",
    "request_facts",
    "segment_direction",
    "strongest",
]
