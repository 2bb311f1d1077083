"""Prometheus metrics: every metric Tollgate exports, defined in one place.

Prefix ``tollgate_``; labels are bounded (route and adapter names, status
codes, config-defined tenants and tiers, rule ids) -- never a key, a model
string the client chose, or free text.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "IN_FLIGHT",
    "POLICY_DECISIONS",
    "POLICY_EVALUATION_DURATION",
    "POLICY_INFO",
    "POLICY_LAST_RELOAD_SUCCESS",
    "POLICY_RELOADS",
    "POLICY_RULES",
    "POLICY_RULE_MATCHES",
    "REQUESTS",
    "REQUEST_DURATION",
    "UPSTREAM_DURATION",
]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

# -- requests -----------------------------------------------------------------

REQUESTS = Counter(
    "tollgate_requests_total",
    "Requests handled, by route, HTTP status and decision.",
    ["route", "status", "decision"],
)
REQUEST_DURATION = Histogram(
    "tollgate_request_duration_seconds",
    "Time from request received to response complete (streams: to the last byte).",
    ["route"],
    buckets=_LATENCY_BUCKETS,
)
UPSTREAM_DURATION = Histogram(
    "tollgate_upstream_duration_seconds",
    "Time from forwarding to the upstream response headers.",
    ["route"],
    buckets=_LATENCY_BUCKETS,
)
IN_FLIGHT = Gauge(
    "tollgate_requests_in_flight",
    "Requests currently being handled.",
)

# -- policy -------------------------------------------------------------------

POLICY_RELOADS = Counter(
    "tollgate_policy_reloads_total",
    "Policy reload attempts, by result (success, failure, unchanged).",
    ["result"],
)
POLICY_INFO = Gauge(
    "tollgate_policy_info",
    "The policy revision being served (value 1; label: first 12 hex of the content hash).",
    ["revision"],
)
POLICY_LAST_RELOAD_SUCCESS = Gauge(
    "tollgate_policy_last_reload_success",
    "1 if the last policy load attempt succeeded, 0 if it failed (the last good set serves).",
)
POLICY_RULES = Gauge(
    "tollgate_policy_rules",
    "Rules in the policy set being served, by mode.",
    ["mode"],
)
POLICY_DECISIONS = Counter(
    "tollgate_policy_decisions_total",
    "Policy decisions, by direction (input, output) and enforced action.",
    ["direction", "decision"],
)
POLICY_RULE_MATCHES = Counter(
    "tollgate_policy_rule_matches_total",
    "Rules that fired, by rule id, action, mode, direction and primary category.",
    ["rule", "action", "mode", "direction", "category"],
)
POLICY_EVALUATION_DURATION = Histogram(
    "tollgate_policy_evaluation_seconds",
    "Time to evaluate the policy for one direction of a request (detectors included).",
    ["direction"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)

# -- detectors ----------------------------------------------------------------

# -- throttle -----------------------------------------------------------------

# -- streams ------------------------------------------------------------------

# -- audit --------------------------------------------------------------------
