"""Prometheus metrics: every metric Tollgate exports, defined in one place.

Prefix ``tollgate_``; labels are bounded (route and adapter names, status
codes, config-defined tenants and tiers, rule ids) -- never a key, a model
string the client chose, or free text.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "IN_FLIGHT",
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

# -- detectors ----------------------------------------------------------------

# -- throttle -----------------------------------------------------------------

__all__ += [
    "THROTTLE_ADMISSIONS",
    "THROTTLE_FALLBACKS",
    "THROTTLE_REASONING",
    "THROTTLE_REDIS_BREAKER",
    "THROTTLE_REDIS_ERRORS",
    "THROTTLE_REDIS_SECONDS",
    "THROTTLE_REFUSALS",
    "THROTTLE_SUSPENSIONS",
    "THROTTLE_TOKENS",
]

THROTTLE_ADMISSIONS = Counter(
    "tollgate_throttle_admissions_total",
    "Requests admitted by the throttle, by tier and tenant.",
    ["tier", "tenant"],
)
THROTTLE_REFUSALS = Counter(
    "tollgate_throttle_refusals_total",
    "Requests refused by the throttle, by limit (a limit name, 'suspended' or "
    "'backend_unavailable'), tier and tenant.",
    ["limit", "tier", "tenant"],
)
THROTTLE_TOKENS = Counter(
    "tollgate_throttle_tokens_total",
    "Tokens settled from upstream usage, by direction (prompt, completion, reasoning) and tier.",
    ["direction", "tier"],
)
THROTTLE_REASONING = Counter(
    "tollgate_throttle_reasoning_budget_total",
    "Reasoning budget levels requested vs applied after the tier maximum ('none': unset).",
    ["tier", "requested", "applied"],
)
THROTTLE_SUSPENSIONS = Counter(
    "tollgate_throttle_risk_suspensions_total",
    "Keys suspended because their actor risk score reached the tier threshold.",
    ["tier"],
)
THROTTLE_FALLBACKS = Counter(
    "tollgate_throttle_fallbacks_total",
    "Requests decided by local memory limits because Redis was unavailable (fail_open).",
    ["tier"],
)
THROTTLE_REDIS_SECONDS = Histogram(
    "tollgate_throttle_redis_seconds",
    "Latency of throttle Redis calls, by operation (reserve, settle, risk, ping).",
    ["op"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
THROTTLE_REDIS_ERRORS = Counter(
    "tollgate_throttle_redis_errors_total",
    "Throttle Redis calls that failed, timed out or were short-circuited, by operation "
    "and reason (error, timeout, breaker_open).",
    ["op", "reason"],
)
THROTTLE_REDIS_BREAKER = Gauge(
    "tollgate_throttle_redis_breaker_state",
    "Circuit breaker in front of the throttle's Redis: 0 closed, 1 half-open, 2 open.",
)

# -- streams ------------------------------------------------------------------

# -- audit --------------------------------------------------------------------
