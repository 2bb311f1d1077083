"""Field checks shared by the adapters; each error names the field (``param``)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from middleware.adapters._base import AdapterError, replace_at

__all__ = [
    "opt_bool",
    "opt_int",
    "opt_number",
    "rebuild_copy",
    "req_str",
]


def req_str(body: Mapping[str, Any], name: str) -> str:
    """A required non-empty string field."""
    if name not in body:
        raise AdapterError(f"Missing required parameter: '{name}'.", param=name)
    value = body[name]
    if not isinstance(value, str) or not value:
        raise AdapterError(f"'{name}' must be a non-empty string.", param=name)
    return value


def opt_bool(body: Mapping[str, Any], name: str) -> bool:
    """An optional boolean (absent or null means false)."""
    value = body.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise AdapterError(f"'{name}' must be a boolean.", param=name)
    return value


def opt_int(body: Mapping[str, Any], name: str, *, minimum: int = 0) -> int | None:
    """An optional integer >= ``minimum``."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise AdapterError(f"'{name}' must be an integer.", param=name)
    if value < minimum:
        raise AdapterError(f"'{name}' must be >= {minimum}.", param=name)
    return value


def opt_number(body: Mapping[str, Any], name: str, *, low: float, high: float) -> float | None:
    """An optional number within ``[low, high]``."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AdapterError(f"'{name}' must be a number.", param=name)
    if not low <= value <= high:
        raise AdapterError(f"'{name}' must be between {low} and {high}.", param=name)
    return float(value)


def rebuild_copy(body: Any, replacements: Mapping[tuple[str | int, ...], str]) -> Any:
    """Deep-copy ``body`` and write each replacement at its path."""
    out = copy.deepcopy(body)
    for path, text in replacements.items():
        replace_at(out, path, text)
    return out
