"""Header hygiene between client, Tollgate and upstream.

Hop-by-hop headers (RFC 9110 section 7.6.1) and everything naming the
connection are dropped in both directions; length and encoding are
recomputed by the server that sends the bytes.
"""

from __future__ import annotations

from collections.abc import Mapping

from multidict import CIMultiDict

__all__ = ["HOP_BY_HOP", "request_headers_for_upstream", "response_headers_for_client"]

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)

# Recomputed or meaningless once Tollgate re-sends the bytes.
_REQUEST_DROP = HOP_BY_HOP | {"host", "content-length", "accept-encoding", "expect"}
_RESPONSE_DROP = HOP_BY_HOP | {"content-length", "content-encoding", "date", "server"}


def _connection_tokens(headers: Mapping[str, str]) -> set[str]:
    value = headers.get("connection", "")
    return {t.strip().lower() for t in value.split(",") if t.strip()}


def request_headers_for_upstream(headers: Mapping[str, str], request_id: str) -> CIMultiDict[str]:
    """Headers to forward upstream: client headers minus hop-by-hop, plus the request id."""
    drop = _REQUEST_DROP | _connection_tokens(headers)
    out: CIMultiDict[str] = CIMultiDict()
    for name, value in headers.items():
        if name.lower() not in drop:
            out.add(name, value)
    out["x-request-id"] = request_id
    return out


def response_headers_for_client(headers: Mapping[str, str]) -> dict[str, str]:
    """Upstream response headers to relay to the client.

    Multi-valued headers other than ``set-cookie`` are folded with ``, ``.
    """
    drop = _RESPONSE_DROP | _connection_tokens(headers)
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        if key in drop:
            continue
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out
