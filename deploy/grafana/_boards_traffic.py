"""The overview and policy dashboards: traffic, decisions, latency; rule hits and reloads."""

from __future__ import annotations

from _spec import Panel, Query, S, increase, percentiles, quantile, rate, ratio

__all__ = ["OVERVIEW", "POLICY", "Rows"]

Rows = tuple[tuple[str, tuple[Panel, ...]], ...]

REQUESTS = "tollgate_requests_total"
ALL_REQUESTS = rate(REQUESTS)
BLOCKS_BY_CATEGORY = rate(
    "tollgate_policy_rule_matches_total", "category", 'action="block", mode="enforce"'
)
# All requests, never zero: a denominator for per-label ratios (``on() group_left()``).
REQUEST_FLOOR = f"clamp_min({ALL_REQUESTS}, 1e-9)"

OVERVIEW: Rows = (
    (
        "Now",
        (
            Panel("Requests per second", (Query(ALL_REQUESTS, "req/s"),), "reqps", "stat", 4),
            Panel(
                "Block rate",
                (Query(ratio(rate(REQUESTS, match='decision="block"'), ALL_REQUESTS), "blocked"),),
                "percentunit",
                "stat",
                4,
            ),
            Panel(
                "Upstream error rate",
                (Query(ratio(rate("tollgate_upstream_errors_total"), ALL_REQUESTS), "errors"),),
                "percentunit",
                "stat",
                4,
            ),
            Panel(
                "In flight",
                (Query(f"sum(tollgate_requests_in_flight{{{S}}})", "requests"),),
                kind="stat",
                width=4,
            ),
            Panel(
                "Open streams",
                (Query(f"sum(tollgate_streams_open{{{S}}})", "streams"),),
                kind="stat",
                width=4,
            ),
            Panel(
                "Overhead p99",
                (Query(quantile(0.99, "tollgate_overhead_seconds"), "p99"),),
                "s",
                "stat",
                4,
            ),
        ),
    ),
    (
        "Traffic and decisions",
        (
            Panel("Requests by route", (Query(rate(REQUESTS, "route"), "{{route}}"),), "reqps"),
            Panel("Decisions", (Query(rate(REQUESTS, "decision"), "{{decision}}"),), "reqps"),
            Panel("Responses by status", (Query(rate(REQUESTS, "status"), "{{status}}"),), "reqps"),
            Panel(
                "Block rate by category",
                (
                    Query(
                        f"{BLOCKS_BY_CATEGORY} / on() group_left() {REQUEST_FLOOR}", "{{category}}"
                    ),
                ),
                "percentunit",
                width=12,
                description="Enforced block rules that fired, per request, by the rule's category.",
            ),
            Panel(
                "Upstream errors by reason",
                (Query(rate("tollgate_upstream_errors_total", "reason"), "{{reason}}"),),
                "reqps",
                width=12,
            ),
        ),
    ),
    (
        "Latency",
        (
            percentiles("tollgate_request_duration_seconds", "Request duration"),
            percentiles("tollgate_time_to_first_token_seconds", "Time to first token (streams)"),
            percentiles("tollgate_overhead_seconds", "Tollgate overhead"),
            percentiles("tollgate_upstream_duration_seconds", "Upstream time to headers", width=12),
            Panel(
                "Stream terminations",
                (Query(rate("tollgate_stream_terminations_total", "reason"), "{{reason}}"),),
                "reqps",
                width=12,
            ),
        ),
    ),
)

MATCHES = "tollgate_policy_rule_matches_total"

POLICY: Rows = (
    (
        "Policy set",
        (
            Panel(
                "Serving revision",
                (Query(f"max by (revision) (tollgate_policy_info{{{S}}})", "{{revision}}"),),
                kind="stat",
                width=8,
            ),
            Panel(
                "Last reload succeeded",
                (Query(f"min(tollgate_policy_last_reload_success{{{S}}})", "ok"),),
                "bool_yes_no",
                "stat",
                8,
            ),
            Panel(
                "Rules loaded by mode",
                (Query(f"max by (mode) (tollgate_policy_rules{{{S}}})", "{{mode}}"),),
                kind="stat",
                width=8,
            ),
        ),
    ),
    (
        "Rule hits",
        (
            Panel(
                "Rule hits by mode and action",
                (Query(rate(MATCHES, "mode, action"), "{{mode}} {{action}}"),),
                "ops",
                width=12,
            ),
            Panel(
                'Monitor mode: "would have"',
                (
                    Query(
                        rate(MATCHES, "rule, action", 'mode="monitor"'), "{{rule}} would {{action}}"
                    ),
                ),
                "ops",
                width=12,
                description="Monitor-mode rules: what they would have done had they been enforced.",
            ),
            Panel(
                "Top rules",
                (Query(f"topk(10, {rate(MATCHES, 'rule')})", "{{rule}}"),),
                "ops",
                width=12,
            ),
            Panel(
                "Decisions by direction",
                (
                    Query(
                        rate("tollgate_policy_decisions_total", "direction, decision"),
                        "{{direction}} {{decision}}",
                    ),
                ),
                "ops",
                width=12,
            ),
            Panel(
                "Findings by family",
                (
                    Query(
                        rate("tollgate_findings_total", "family, direction"),
                        "{{family}} ({{direction}})",
                    ),
                ),
                "ops",
                width=12,
            ),
            Panel(
                "Policy evaluation p99",
                (
                    Query(
                        quantile(0.99, "tollgate_policy_evaluation_seconds", "direction"),
                        "{{direction}}",
                    ),
                ),
                "s",
                width=12,
            ),
        ),
    ),
    (
        "Reloads",
        (
            Panel(
                "Reload history",
                (Query(increase("tollgate_policy_reloads_total", "result"), "{{result}}"),),
                width=24,
                description="Reload attempts by result; a failed reload keeps the last good set.",
            ),
        ),
    ),
)
