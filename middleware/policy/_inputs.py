"""Turn tool inputs (a text, a request body, a response body) into segments and facts.

Shared by ``policy test``, ``policy explain``, ``policy diff`` and ``scan``:
a ``{"text": ...}`` object is one segment (role ``user`` for input,
``assistant`` for output); a request body is parsed by the route's adapter
(its model, stream flag and reasoning budget become facts); a response body
(``choices``) gives the adapter's output segments.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from middleware.adapters import AdapterError, Channel, Segment, default_adapters
from middleware.policy._conditions import RequestFacts

__all__ = [
    "InputError",
    "ToolInput",
    "from_json_line",
    "from_request",
    "from_response",
    "from_text",
]

_ADAPTERS = default_adapters()


class InputError(ValueError):
    """The input is neither a text object nor a body the route understands."""


@dataclass(frozen=True, slots=True)
class ToolInput:
    """Segments to evaluate in one direction, with the facts."""

    segments: tuple[Segment, ...]
    direction: str
    facts: RequestFacts


def from_text(text: str, direction: str, facts: RequestFacts, role: str | None = None) -> ToolInput:
    """One segment holding ``text``."""
    who = role or ("user" if direction == "input" else "assistant")
    channel: Channel = "reasoning" if direction == "reasoning" else "content"
    seg = Segment(who, text, 0, ("text",), channel)
    return ToolInput((seg,), direction, facts)


def _adapter(route: str | None) -> Any:
    try:
        return _ADAPTERS.by_name(route or "openai_chat")
    except KeyError:
        known = ", ".join(_ADAPTERS.names())
        raise InputError(f"unknown route {route!r}; known: {known}") from None


def from_request(body: Mapping[str, Any], facts: RequestFacts) -> ToolInput:
    """A request body parsed by ``facts.route``'s adapter (default ``openai_chat``)."""
    adapter = _adapter(facts.route)
    try:
        parsed = adapter.parse_request(dict(body))
    except AdapterError as exc:
        raise InputError(f"not a valid {adapter.name} request: {exc.message}") from None
    merged = dataclasses.replace(
        facts,
        route=adapter.name,
        model=facts.model or parsed.model,
        stream=facts.stream or parsed.stream,
        reasoning_budget=facts.reasoning_budget or parsed.reasoning_budget,
    )
    return ToolInput(parsed.segments, "input", merged)


def from_response(body: Mapping[str, Any], facts: RequestFacts) -> ToolInput:
    """A non-streamed response body's output segments."""
    adapter = _adapter(facts.route)
    return ToolInput(tuple(adapter.response_segments(dict(body))), "output", facts)


def from_json_line(obj: Any, direction: str, facts: RequestFacts) -> ToolInput:
    """A corpus line: ``{"text": ..., "facts": {...}?}``, a request or a response body."""
    if not isinstance(obj, dict):
        raise InputError("each line must be a JSON object")
    if isinstance(obj.get("text"), str):
        extra = obj.get("facts")
        if isinstance(extra, dict):
            facts = dataclasses.replace(
                facts, **{k: v for k, v in extra.items() if k in _FACT_FIELDS}
            )
        return from_text(obj["text"], direction, facts)
    if "choices" in obj:
        return from_response(obj, facts)
    if direction != "input":
        raise InputError("output lines must be {'text': ...} or a response body with 'choices'")
    return from_request(obj, facts)


_FACT_FIELDS = frozenset(f.name for f in dataclasses.fields(RequestFacts))
