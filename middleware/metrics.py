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

# -- streams ------------------------------------------------------------------

# -- audit --------------------------------------------------------------------
