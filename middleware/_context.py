"""Per-request state shared by the pipeline and its addons."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy

from middleware.adapters._base import ApiAdapter, ParsedRequest

__all__ = ["Identity", "ProxyRequest", "RequestContext", "SseEvent"]


@dataclass(frozen=True, slots=True)
class ProxyRequest:
    """A client request as plain values (no web framework types)."""

    method: str
    path: str
    query_string: str
    headers: CIMultiDictProxy[str]
    body: bytes
    remote: str | None = None


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is calling: never the raw key, only its keyed hash."""

    key_id: str
    tenant: str
    tier: str
    known: bool


@dataclass(slots=True)
class SseEvent:
    """One server-sent event. ``data`` is the raw ``data:`` payload text."""

    data: str
    event: str | None = None
    id: str | None = None

    def encode(self) -> bytes:
        """Serialise as SSE wire bytes, ending with the blank line."""
        if self.event is None and self.id is None and "\n" not in self.data:
            return b"data: " + self.data.encode() + b"\n\n"  # most events: one data line
        parts: list[str] = []
        if self.event is not None:
            parts.append(f"event: {self.event}")
        if self.id is not None:
            parts.append(f"id: {self.id}")
        parts.extend(f"data: {line}" for line in self.data.split("\n"))
        return ("\n".join(parts) + "\n\n").encode()


@dataclass(slots=True)
class RequestContext:
    """Everything one request accumulates on its way through the pipeline.

    Owned by a single request task; addons read and write it in lifecycle
    order. ``body`` is the decoded JSON that will be forwarded (addons may
    replace it: redaction, budget caps); ``upstream_headers`` are the headers
    that will be sent upstream (gateway mode swaps the key there);
    ``response_headers`` are added to whatever the client receives, errors
    included. ``state`` is per-addon scratch space keyed by addon name.
    ``burst_more`` is true while a stream hook sees an upstream event that
    has more events already received behind it (one network read carried
    several): a hook may defer costly work to the burst's last event.
    """

    request: ProxyRequest
    request_id: str
    route: str
    adapter: ApiAdapter | None = None
    body: Any = None
    parsed: ParsedRequest | None = None
    identity: Identity | None = None
    upstream_headers: CIMultiDict[str] = field(default_factory=CIMultiDict)
    response_headers: dict[str, str] = field(default_factory=dict)
    decision: str = "allow"
    status: int | None = None
    upstream_status: int | None = None
    error: str | None = None
    started: float = field(default_factory=time.perf_counter)
    started_wall: float = field(default_factory=time.time)
    timings: dict[str, float] = field(default_factory=dict)
    usage: dict[str, int] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    burst_more: bool = False

    @property
    def stream(self) -> bool:
        """Whether the client asked for a streamed response."""
        return bool(self.parsed and self.parsed.stream)

    def facts(self) -> Mapping[str, Any]:
        """Request facts policies can condition on."""
        ident = self.identity
        parsed = self.parsed
        return {
            "tenant": ident.tenant if ident else None,
            "tier": ident.tier if ident else None,
            "key_id": ident.key_id if ident else None,
            "route": self.route,
            "model": parsed.model if parsed else None,
            "stream": self.stream,
            "reasoning_budget": parsed.reasoning_budget if parsed else None,
        }
