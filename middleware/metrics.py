"""Prometheus metrics: every metric Tollgate exports, defined in one place.

Prefix ``tollgate_``; labels are bounded (route and adapter names, status
codes, config-defined tenants and tiers, rule ids) -- never a key, a model
string the client chose, or free text. Values outside a label's known set
fold into ``other`` (:func:`bounded`).

Several worker processes: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty,
writable directory shared by the workers *before* they start (prometheus-
client then keeps every value in a per-process mmap file) and serve
:func:`exposition`, which sums counters and histograms over all processes;
gauges say how they combine (``multiprocess_mode``: in-flight gauges sum the
live processes, state gauges take the maximum). Call :func:`process_exited`
for a worker that stopped. Without the variable everything is in-process.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable
from typing import Any, Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess

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
    multiprocess_mode="livesum",
)

__all__ += [
    "DECISIONS",
    "OTHER",
    "OVERHEAD_DURATION",
    "TTFT_DURATION",
    "UPSTREAM_ERRORS",
    "UPSTREAM_ERROR_REASONS",
    "bounded",
    "exposition",
    "label_name",
    "process_exited",
]

#: The label value every unknown or unexpected value folds into.
OTHER = "other"
#: Request decisions (``ctx.decision``): policy actions, then request outcomes.
DECISIONS: frozenset[str] = frozenset(
    {"allow", "flag", "cap_reasoning", "redact", "block", "error", "upstream_error"}
)
_LABEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,63}$")

TTFT_DURATION = Histogram(
    "tollgate_time_to_first_token_seconds",
    "Time from request received to the first streamed byte sent on to the client.",
    ["route"],
    buckets=_LATENCY_BUCKETS,
)
OVERHEAD_DURATION = Histogram(
    "tollgate_overhead_seconds",
    "Time Tollgate itself added to a forwarded request: before forwarding (identify, "
    "admit, screen input) plus, for non-streamed responses, screening the output.",
    ["route"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

#: Why the upstream failed a request: an error status, unreachable, timed out
#: (first byte or idle), response too large, or a stream cut short.
UPSTREAM_ERROR_REASONS: frozenset[str] = frozenset(
    {"http_5xx", "http_429", "unreachable", "timeout", "too_large", "stream_interrupted"}
)
UPSTREAM_ERRORS = Counter(
    "tollgate_upstream_errors_total",
    "Requests the upstream failed, by route and reason (http_5xx, http_429, unreachable, "
    "timeout, too_large, stream_interrupted).",
    ["route", "reason"],
)


def bounded(value: object, known: Collection[str]) -> str:
    """``value`` as a label if it is one of ``known``, else ``other``."""
    return value if isinstance(value, str) and value in known else OTHER


def label_name(value: object) -> str:
    """A config-defined name (detector, sink, tier) as a label; odd values fold to ``other``.

    For names that come from configuration, not from clients: short,
    lowercase identifiers pass, anything else (empty, long, free text) folds.
    """
    return value if isinstance(value, str) and _LABEL_NAME.match(value) else OTHER


def exposition() -> tuple[bytes, str]:
    """The metrics page and its content type.

    With ``PROMETHEUS_MULTIPROC_DIR`` set, the values of every process that
    wrote there are merged (counters and histograms summed, gauges by their
    ``multiprocess_mode``); otherwise this process's registry.
    """
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def process_exited(pid: int | None = None) -> None:
    """Drop a stopped worker's live gauges (multiprocess mode only; else a no-op)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        _multiprocess.mark_process_dead(pid if pid is not None else os.getpid())  # type: ignore[no-untyped-call]


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

__all__ += [
    "DETECTOR_CACHE_HITS",
    "DETECTOR_DURATION",
    "DETECTOR_ERRORS",
    "DETECTOR_RUNS",
    "FINDINGS",
    "FINDING_FAMILIES",
    "DetectorObservation",
    "declare_detectors",
    "finding_family",
    "observe_detector",
]

#: Finding kind families (the part of a kind before the first dot).
FINDING_FAMILIES: frozenset[str] = frozenset(
    {"pii", "secret", "injection", "jailbreak", "misuse", "obfuscation", "custom"}
)

DETECTOR_RUNS = Counter(
    "tollgate_detector_runs_total",
    "Detector runs (one detector over one uncached chunk), by detector.",
    ["detector"],
)
DETECTOR_CACHE_HITS = Counter(
    "tollgate_detector_cache_hits_total",
    "Detector results served from the findings cache, by detector.",
    ["detector"],
)
DETECTOR_ERRORS = Counter(
    "tollgate_detector_errors_total",
    "Detector runs that failed, by detector and reason (error, timeout).",
    ["detector", "reason"],
)
DETECTOR_DURATION = Histogram(
    "tollgate_detector_duration_seconds",
    "Time one detector spent on one scan (uncached chunks only), by detector.",
    ["detector"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
FINDINGS = Counter(
    "tollgate_findings_total",
    "Detector findings in screened text, by kind family (pii, secret, ...) and direction.",
    ["family", "direction"],
)


class DetectorObservation(Protocol):
    """What the detector runner reports per detector per scan (``detectors.DetectorEvent``)."""

    @property
    def detector(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def seconds(self) -> float: ...


_DETECTOR_CHILDREN: dict[str, tuple[Any, Any, Any]] = {}


def _detector_children(detector: str) -> tuple[Any, Any, Any]:
    # labels() hashes and locks on every call; the runner reports each
    # detector of every scan (once per word on a screened stream).
    found = _DETECTOR_CHILDREN.get(detector)
    if found is None:
        name = label_name(detector)
        found = (
            DETECTOR_RUNS.labels(name),
            DETECTOR_DURATION.labels(name),
            DETECTOR_CACHE_HITS.labels(name),
        )
        if len(_DETECTOR_CHILDREN) < 256:
            _DETECTOR_CHILDREN[detector] = found
    return found


def observe_detector(event: DetectorObservation) -> None:
    """Record one detector event; pass as the runner's ``observer``. Never raises."""
    runs, duration, cache_hits = _detector_children(event.detector)
    outcome = event.outcome
    if outcome == "cached":
        cache_hits.inc()
        return
    runs.inc()
    duration.observe(max(0.0, float(event.seconds)))
    if outcome in ("error", "timeout"):
        DETECTOR_ERRORS.labels(label_name(event.detector), outcome).inc()


def declare_detectors(names: Iterable[str]) -> None:
    """Create each detector's counters at zero, so rates and alerts see a series
    before the first run or error (an absent series reads as "no data")."""
    for raw in names:
        name = label_name(raw)
        DETECTOR_RUNS.labels(name)
        DETECTOR_CACHE_HITS.labels(name)
        for reason in ("error", "timeout"):
            DETECTOR_ERRORS.labels(name, reason)


def finding_family(kind: object) -> str:
    """The family label of a finding kind: ``pii.EMAIL_ADDRESS`` -> ``pii``."""
    head = kind.split(".", 1)[0] if isinstance(kind, str) else ""
    return bounded(head, FINDING_FAMILIES)


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

__all__ += [
    "EVENT_LOOP_LAG",
    "STREAMS_OPEN",
    "STREAM_HELD_BACK",
    "STREAM_TERMINATIONS",
    "STREAM_TERMINATION_REASONS",
]

#: Why a stream ended: ``complete`` (upstream finished), ``content_filter``
#: (policy blocked mid-stream), ``client_disconnect``, ``upstream_error``
#: (upstream failed or timed out mid-stream), ``cancelled``, ``malformed_stream``.
STREAM_TERMINATION_REASONS: frozenset[str] = frozenset(
    {
        "complete",
        "content_filter",
        "client_disconnect",
        "upstream_error",
        "cancelled",
        "malformed_stream",
    }
)

EVENT_LOOP_LAG = Histogram(
    "tollgate_event_loop_lag_seconds",
    "How late the event loop ran a 0.25 s timer: work queued that long before Tollgate got to it.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
STREAMS_OPEN = Gauge(
    "tollgate_streams_open",
    "Streamed (stream: true) requests currently being handled.",
    multiprocess_mode="livesum",
)
STREAM_TERMINATIONS = Counter(
    "tollgate_stream_terminations_total",
    "Streamed responses ended, by route and reason.",
    ["route", "reason"],
)
STREAM_HELD_BACK = Histogram(
    "tollgate_stream_held_back_characters",
    "Most characters held back at once by the stream screener, per stream.",
    ["route"],
    buckets=(0, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192),
)

# -- audit --------------------------------------------------------------------

__all__ += [
    "AUDIT_DROPPED",
    "AUDIT_HEALTHY",
    "AUDIT_QUEUE_DEPTH",
    "AUDIT_SINK_ERRORS",
    "AUDIT_WRITTEN",
]

AUDIT_WRITTEN = Counter(
    "tollgate_audit_events_written_total",
    "Audit events written, by sink.",
    ["sink"],
)
AUDIT_DROPPED = Counter(
    "tollgate_audit_events_dropped_total",
    "Audit events lost, by sink and reason (queue_full, sink_error, shutdown).",
    ["sink", "reason"],
)
AUDIT_SINK_ERRORS = Counter(
    "tollgate_audit_sink_errors_total",
    "Failed writes to an audit sink (each failed attempt), by sink.",
    ["sink"],
)
AUDIT_QUEUE_DEPTH = Gauge(
    "tollgate_audit_queue_depth",
    "Audit events waiting in a sink's queue.",
    ["sink"],
    multiprocess_mode="livesum",
)
AUDIT_HEALTHY = Gauge(
    "tollgate_audit_sink_healthy",
    "1 while an audit sink writes without loss, 0 while it is failing or has dropped events.",
    ["sink"],
    multiprocess_mode="livemin",
)
