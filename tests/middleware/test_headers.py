from __future__ import annotations

from multidict import CIMultiDict

from middleware.headers import request_headers_for_upstream, response_headers_for_client


def test_hop_by_hop_and_connection_named_headers_are_dropped() -> None:
    headers = CIMultiDict(
        {
            "Connection": "keep-alive, X-Secret-Hop",
            "Keep-Alive": "timeout=5",
            "X-Secret-Hop": "1",
            "Transfer-Encoding": "chunked",
            "Host": "client.example",
            "Content-Length": "12",
            "Authorization": "Bearer k",
            "X-Custom": "kept",
        }
    )
    out = request_headers_for_upstream(headers, "rid-1")
    assert set(k.lower() for k in out) == {"authorization", "x-custom", "x-request-id"}
    assert out["x-request-id"] == "rid-1"


def test_response_headers_drop_length_and_encoding() -> None:
    headers = CIMultiDict(
        [
            ("Content-Type", "application/json"),
            ("Content-Length", "5"),
            ("Content-Encoding", "gzip"),
            ("X-Ratelimit-Remaining", "9"),
            ("Vary", "a"),
            ("Vary", "b"),
        ]
    )
    out = response_headers_for_client(headers)
    assert out == {
        "content-type": "application/json",
        "x-ratelimit-remaining": "9",
        "vary": "a, b",
    }
