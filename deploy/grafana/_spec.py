"""Dashboard building blocks: panel specs and PromQL helpers over the selected job/instance."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RI", "Panel", "Query", "S", "increase", "percentiles", "quantile", "rate", "ratio"]

#: Every query's selector: the dashboard's ``$job`` and ``$instance`` variables.
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
