"""Tollgate's Grafana dashboards as code (grafana-foundation-sdk), written as committed JSON.

    python deploy/grafana/generate.py          # rewrite deploy/grafana/dashboards/*.json
    python deploy/grafana/generate.py --check  # exit 1 if the committed JSON is stale

Four dashboards: overview (traffic, decisions, block rate, latency, TTFT,
upstream errors), policy (rule hits by mode and action, monitor-mode "would
have", reloads), throttling (refusals by limit and tier, tokens, reasoning
budget, risk suspensions) and health (detectors, Redis, audit sinks, streams).
Every query filters on the ``$job`` and ``$instance`` variables and reads
from the ``$datasource`` Prometheus data source chosen at import.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import common as common_builder
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model

__all__ = ["DASHBOARDS", "OUT_DIR", "Panel", "Query", "build_all", "main", "render"]

OUT_DIR = Path(__file__).resolve().parent / "dashboards"
DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="${datasource}")
S = 'job="$job", instance=~"$instance"'
RI = "$__rate_interval"


@dataclass(frozen=True)
class Query:
    """One PromQL target and its legend."""

    expr: str
    legend: str = ""


@dataclass(frozen=True)
class Panel:
    """A panel: ``kind`` timeseries or stat, a unit, one or more queries."""

    title: str
    queries: tuple[Query, ...]
    unit: str = "short"
    kind: str = "timeseries"
    width: int = 8
    description: str = ""


def rate(metric: str, by: str = "", match: str = "") -> str:
    """``sum by (by) (rate(metric{job, instance, match}[$__rate_interval]))``."""
    sel = S + (f", {match}" if match else "")
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping} (rate({metric}{{{sel}}}[{RI}]))"


def increase(metric: str, by: str) -> str:
    """``sum by (by) (increase(metric{job, instance}[$__rate_interval]))``: events per step."""
    return f"sum by ({by}) (increase({metric}{{{S}}}[{RI}]))"


def quantile(q: float, histogram: str, by: str = "", match: str = "") -> str:
    """The ``q`` quantile of a histogram over all selected series, kept apart by ``by``."""
    keep = f"{by}, le" if by else "le"
    return f"histogram_quantile({q}, {rate(histogram + '_bucket', keep, match)})"


def ratio(numerator: str, denominator: str) -> str:
    """``numerator / denominator``; 0 (not "no data") while the numerator has no series."""
    return f"({numerator} or vector(0)) / clamp_min({denominator}, 1e-9)"


def percentiles(histogram: str, title: str, match: str = "", width: int = 8) -> Panel:
    """p50, p90 and p99 of a latency histogram."""
    return Panel(
        title,
        tuple(
            Query(quantile(q, histogram, match=match), f"p{round(q * 100)}")
            for q in (0.5, 0.9, 0.99)
        ),
        unit="s",
        width=width,
    )


REQUESTS = "tollgate_requests_total"
ALL_REQUESTS = rate(REQUESTS)
BLOCKS_BY_CATEGORY = rate(
    "tollgate_policy_rule_matches_total", "category", 'action="block", mode="enforce"'
)
# All requests, never zero: a denominator for per-label ratios (``on() group_left()``).
REQUEST_FLOOR = f"clamp_min({ALL_REQUESTS}, 1e-9)"
CACHE_HITS = rate("tollgate_detector_cache_hits_total")
DETECTOR_RUNS = rate("tollgate_detector_runs_total")

OVERVIEW: tuple[tuple[str, tuple[Panel, ...]], ...] = (
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

POLICY: tuple[tuple[str, tuple[Panel, ...]], ...] = (
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

REFUSALS = "tollgate_throttle_refusals_total"

THROTTLING: tuple[tuple[str, tuple[Panel, ...]], ...] = (
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

HEALTH: tuple[tuple[str, tuple[Panel, ...]], ...] = (
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
DASHBOARDS: dict[str, tuple[str, str, tuple[tuple[str, tuple[Panel, ...]], ...]]] = {
    "overview": ("tollgate-overview", "Tollgate / Overview", OVERVIEW),
    "policy": ("tollgate-policy", "Tollgate / Policy", POLICY),
    "throttling": ("tollgate-throttling", "Tollgate / Throttling", THROTTLING),
    "health": ("tollgate-health", "Tollgate / Health", HEALTH),
}


def _panel(spec: Panel) -> stat.Panel | timeseries.Panel:
    builder: stat.Panel | timeseries.Panel
    if spec.kind == "stat":
        builder = stat.Panel().height(5)
    else:
        builder = (
            timeseries.Panel()
            .height(8)
            .line_width(1)
            .fill_opacity(10)
            .legend(
                common_builder.VizLegendOptions()
                .display_mode(common.LegendDisplayMode.LIST)
                .placement(common.LegendPlacement.BOTTOM)
                .show_legend(True)
            )
        )
    builder = builder.title(spec.title).span(spec.width).unit(spec.unit).datasource(DATASOURCE)
    if spec.description:
        builder = builder.description(spec.description)
    for i, query in enumerate(spec.queries):
        target = (
            prometheus.Dataquery()
            .expr(query.expr)
            .legend_format(query.legend or "__auto")
            .ref_id(chr(ord("A") + i))
            .datasource(DATASOURCE)
        )
        builder = builder.with_target(target)
    return builder


def _variables() -> list[Any]:
    datasource = dash.DatasourceVariable("datasource").label("Data source").type("prometheus")
    job = (
        dash.QueryVariable("job")
        .label("Job")
        .datasource(DATASOURCE)
        .query("label_values(tollgate_requests_total, job)")
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
    )
    instance = (
        dash.QueryVariable("instance")
        .label("Instance")
        .datasource(DATASOURCE)
        .query('label_values(tollgate_requests_total{job="$job"}, instance)')
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .multi(True)
        .include_all(True)
        .all_value(".*")
    )
    return [datasource, job, instance]


def render(stem: str) -> dict[str, Any]:
    """The dashboard ``stem`` as Grafana JSON (a dict)."""
    uid, title, rows = DASHBOARDS[stem]
    builder = (
        dash.Dashboard(title)
        .uid(uid)
        .tags(["tollgate", "generated"])
        .refresh("30s")
        .time("now-1h", "now")
        .timezone("browser")
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
        .description("Generated by deploy/grafana/generate.py; edit the generator, not this JSON.")
    )
    for variable in _variables():
        builder = builder.with_variable(variable)
    for row_title, panels in rows:
        builder = builder.with_row(dash.Row(row_title))
        for spec in panels:
            builder = builder.with_panel(_panel(spec))
    encoded = JSONEncoder(sort_keys=True, indent=2).encode(builder.build())
    result: dict[str, Any] = json.loads(encoded)
    return result


def build_all() -> dict[str, str]:
    """File name -> JSON text for every dashboard."""
    return {
        f"{stem}.json": json.dumps(render(stem), indent=2, sort_keys=True) + "\n"
        for stem in DASHBOARDS
    }


def main(argv: list[str] | None = None) -> int:
    """Write the JSON (or, with ``--check``, report stale files and exit 1)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the JSON is stale")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    stale = []
    for name, text in build_all().items():
        path = args.out / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(name)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print(
            f"stale dashboards: {', '.join(stale)}; run deploy/grafana/generate.py", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
