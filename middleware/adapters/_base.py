"""The API-adapter contract: how one API dialect exposes its text to screening.

An adapter knows one route's JSON shape. It turns a request body into
:class:`ParsedRequest` (the text segments to screen plus the request facts the
policy and throttle need), turns a response body or a stream frame into output
segments, and rebuilds a body with replaced segment texts (redaction).
Adapters never do I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

__all__ = [
    "REASONING_LEVELS",
    "AdapterError",
    "ApiAdapter",
    "Channel",
    "Direction",
    "ParsedRequest",
    "Segment",
]

Direction = Literal["input", "output", "reasoning"]
Channel = Literal["content", "reasoning", "tool_arguments"]

#: Reasoning budget levels, weakest first; order matters for capping.
REASONING_LEVELS: tuple[str, ...] = ("low", "medium", "high", "maximum")


class AdapterError(ValueError):
    """The body does not fit the API's shape.

    ``param`` names the offending field (OpenAI's ``error.param``), so the
    client is told exactly what is wrong.
    """

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


@dataclass(frozen=True, slots=True)
class Segment:
    """One piece of text to screen.

    ``path`` locates the text inside the body (``("messages", 2, "content")``
    or ``("messages", 0, "content", 1, "text")``) so :meth:`ApiAdapter.rebuild`
    can write a replacement back. ``index`` is the segment's order in the
    body; ``choice`` is the output choice index (0 for requests).
    """

    role: str
    text: str
    index: int
    path: tuple[str | int, ...]
    channel: Channel = "content"
    choice: int = 0


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    """What an adapter extracted from a request body."""

    route: str
    model: str | None
    stream: bool
    segments: tuple[Segment, ...]
    max_tokens: int | None = None
    reasoning_budget: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


class ApiAdapter(Protocol):
    """One API dialect (one route).

    ``name`` is a short stable label used in metrics (``openai_chat``);
    ``path`` and ``method`` are what the proxy routes to it; ``streams`` says
    whether the route supports ``stream: true``; ``screens_output`` is false
    for routes whose responses carry no text (embeddings).
    """

    name: str
    path: str
    method: str
    streams: bool
    screens_output: bool

    def parse_request(self, body: Any) -> ParsedRequest:
        """Validate ``body`` (decoded JSON) and extract its segments.

        Raises :class:`AdapterError` naming the bad field.
        """
        ...

    def response_segments(self, body: Any) -> list[Segment]:
        """Output segments of a non-streamed response body."""
        ...

    def frame_segments(self, frame: Any) -> list[Segment]:
        """Output deltas carried by one decoded SSE ``data:`` frame."""
        ...

    def rebuild(self, body: Any, replacements: Mapping[tuple[str | int, ...], str]) -> Any:
        """Return a copy of ``body`` with the texts at the given paths replaced."""
        ...

    def set_reasoning_budget(self, body: Any, level: str) -> Any:
        """Return a copy of ``body`` with its reasoning budget set to ``level``."""
        ...


def replace_at(body: Any, path: Sequence[str | int], value: str) -> None:
    """Write ``value`` at ``path`` inside ``body`` in place."""
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
