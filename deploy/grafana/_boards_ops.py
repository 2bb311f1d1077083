"""The throttling and health dashboards: admission and usage; detectors, Redis, audit."""

from __future__ import annotations

from _spec import RI, Panel, Query, S, increase, quantile, rate, ratio

__all__ = ["HEALTH", "THROTTLING"]

Rows = tuple[tuple[str, tuple[Panel, ...]], ...]
REQUESTS = "tollgate_requests_total"
CACHE_HITS = rate("tollgate_detector_cache_hits_total")
DETECTOR_RUNS = rate("tollgate_detector_runs_total")

REFUSALS = "tollgate_throttle_refusals_total"

THROTTLING: Rows = (
    (
        "Admission",
        (
            Panel("Refusals by limit", (Query(rate(REFUSALS, "limit"), "{{limit}}"),), "reqps"),
            Panel("Refusals by tier", (Query(rate(REFUSALS, "tier"), "{{tier}}"),), "reqps"),
            Panel(
                "Admissions by tier",
                (Query(rate("tollgate_throttle_admissions_total", "tier"), "{{tier}}"),),
                "reqps",
            ),
            Panel(
                "429 responses",
                (Query(rate(REQUESTS, "route", 'status="429"'), "{{route}}"),),
                "reqps",
                width=12,
            ),
            Panel(
                "Local fallbacks (Redis unavailable)",
                (Query(rate("tollgate_throttle_fallbacks_total", "tier"), "{{tier}}"),),
                "reqps",
                width=12,
            ),
        ),
    ),
    (
        "Usage",
        (
            Panel(
                "Tokens by direction",
                (Query(rate("tollgate_throttle_tokens_total", "direction"), "{{direction}}"),),
                "short",
                width=12,
                description="Tokens per second from upstream usage: prompt, completion, reasoning.",
            ),
            Panel(
                "Tokens by tier",
                (Query(rate("tollgate_throttle_tokens_total", "tier"), "{{tier}}"),),
                width=12,
            ),
            Panel(
                "Reasoning budget: requested vs applied",
                (
                    Query(
                        rate("tollgate_throttle_reasoning_budget_total", "requested, applied"),
                        "{{requested}} -> {{applied}}",
                    ),
                ),
                "reqps",
                width=12,
            ),
            Panel(
                "Risk suspensions",
                (Query(increase("tollgate_throttle_risk_suspensions_total", "tier"), "{{tier}}"),),
                width=12,
            ),
        ),
    ),
)

HEALTH: Rows = (
    (
        "Detectors",
        (
            Panel(
                "Detector runs",
                (Query(rate("tollgate_detector_runs_total", "detector"), "{{detector}}"),),
                "ops",
                width=6,
            ),
            Panel(
                "Detector latency p99",
                (
                    Query(
                        quantile(0.99, "tollgate_detector_duration_seconds", "detector"),
                        "{{detector}}",
                    ),
                ),
                "s",
                width=6,
            ),
            Panel(
                "Detector errors and timeouts",
                (
                    Query(
                        rate("tollgate_detector_errors_total", "detector, reason"),
                        "{{detector}} {{reason}}",
                    ),
                ),
                "ops",
                width=6,
            ),
            Panel(
                "Findings cache hit ratio",
                (
                    Query(
                        ratio(CACHE_HITS, f"{CACHE_HITS} + {DETECTOR_RUNS}"),
                        "hit ratio",
                    ),
                ),
                "percentunit",
                width=6,
            ),
        ),
    ),
    (
        "Redis (throttle backend)",
        (
            Panel(
                "Breaker state",
                (Query(f"max(tollgate_throttle_redis_breaker_state{{{S}}})", "state"),),
                kind="stat",
                description="0 closed, 1 half-open, 2 open.",
            ),
            Panel(
                "Redis latency p99",
                (Query(quantile(0.99, "tollgate_throttle_redis_seconds", "op"), "{{op}}"),),
                "s",
            ),
            Panel(
                "Redis errors",
                (
                    Query(
                        rate("tollgate_throttle_redis_errors_total", "op, reason"),
                        "{{op}} {{reason}}",
                    ),
                ),
                "ops",
            ),
        ),
    ),
    (
        "Audit",
        (
            Panel(
                "Audit events written",
                (Query(rate("tollgate_audit_events_written_total", "sink"), "{{sink}}"),),
                "ops",
                width=6,
            ),
            Panel(
                "Audit events dropped",
                (
                    Query(
                        increase("tollgate_audit_events_dropped_total", "sink, reason"),
                        "{{sink}} {{reason}}",
                    ),
                ),
                width=6,
            ),
            Panel(
                "Audit sink errors",
                (Query(rate("tollgate_audit_sink_errors_total", "sink"), "{{sink}}"),),
                "ops",
                width=6,
            ),
            Panel(
                "Audit sinks healthy / queue depth",
                (
                    Query(
                        f"min by (sink) (tollgate_audit_sink_healthy{{{S}}})", "{{sink}} healthy"
                    ),
                    Query(f"sum by (sink) (tollgate_audit_queue_depth{{{S}}})", "{{sink}} queued"),
                ),
                width=6,
            ),
        ),
    ),
    (
        "Streams and process",
        (
            Panel(
                "Characters held back per stream (p99)",
                (Query(quantile(0.99, "tollgate_stream_held_back_characters"), "p99"),),
            ),
            Panel(
                "Event loop lag (work waiting for the loop)",
                (
                    Query(
                        quantile(0.5, "tollgate_event_loop_lag_seconds", "instance"),
                        "p50 {{instance}}",
                    ),
                    Query(
                        quantile(0.99, "tollgate_event_loop_lag_seconds", "instance"),
                        "p99 {{instance}}",
                    ),
                ),
                "s",
            ),
            Panel(
                "Resident memory",
                (
                    Query(
                        f"sum by (instance) (process_resident_memory_bytes{{{S}}})", "{{instance}}"
                    ),
                ),
                "bytes",
            ),
            Panel(
                "CPU",
                (
                    Query(
                        f"sum by (instance) (rate(process_cpu_seconds_total{{{S}}}[{RI}]))",
                        "{{instance}}",
                    ),
                ),
                "percentunit",
            ),
        ),
    ),
)

#: file stem -> (uid, title, rows)
