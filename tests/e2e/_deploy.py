"""Paths and loaders for deploy/ (dashboards, rules) shared by the e2e tests."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "deploy" / "grafana"
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS / "tollgate.rules.yml"

_COMPARISONS = (">=", "<=", "==", "!=", ">", "<")


def load_generator() -> ModuleType:
    """deploy/grafana/generate.py as a module."""
    spec = importlib.util.spec_from_file_location(
        "tollgate_grafana_generate", GRAFANA / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def dashboard_queries() -> Iterator[tuple[str, str, str]]:
    """(dashboard file, panel title, expr) for every target of every committed dashboard."""
    for path in sorted((GRAFANA / "dashboards").glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel.get("targets") or ():
                yield path.name, panel["title"], target["expr"]


def rules() -> list[dict[str, Any]]:
    """Every rule (recording and alerting) of the committed rule file."""
    data = yaml.safe_load(RULES.read_text())
    return [rule for group in data["groups"] for rule in group["rules"]]


def as_bool(expr: str) -> str:
    """``expr`` with its last top-level comparison turned into ``<op> bool``.

    An alert expression ``signal > threshold`` returns nothing unless it
    fires; ``signal > bool threshold`` returns 0 or 1 for every series of
    the signal, so "returns data" checks that the signal exists.
    """
    depth = 0
    quote: str | None = None
    last: tuple[int, int] | None = None
    i = 0
    while i < len(expr):
        c = expr[i]
        if quote is not None:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0:
            for op in _COMPARISONS:
                if expr.startswith(op, i):
                    last = (i, len(op))
                    i += len(op) - 1
                    break
        i += 1
    if last is None:
        raise ValueError(f"no top-level comparison in alert expression: {expr}")
    at, size = last
    return f"{expr[: at + size]} bool{expr[at + size :]}"


def metric_names(expr: str) -> set[str]:
    """The ``tollgate_*`` and ``process_*`` series an expression reads, recording rules expanded."""
    recorded = {r["record"]: r["expr"] for r in rules() if "record" in r}
    found: set[str] = set()
    for name in re.findall(r"(?<![\w:])([a-z_]+:[a-z0-9_:]+|tollgate_\w+|process_\w+)", expr):
        if ":" in name:
            found |= metric_names(recorded[name]) if name in recorded else set()
        else:
            found.add(name)
    return found
