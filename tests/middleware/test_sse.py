from __future__ import annotations

import pytest

from middleware._context import SseEvent
from middleware.sse import SseParser


def test_events_split_across_chunks_are_reassembled() -> None:
    parser = SseParser()
    assert parser.feed(b'data: {"a"') == []
    assert parser.feed(b": 1}\n") == []
    events = parser.feed(b"\ndata: [DONE]\n\n")
    assert [e.data for e in events] == ['{"a": 1}', "[DONE]"]


def test_crlf_comments_and_event_names() -> None:
    parser = SseParser()
    events = parser.feed(b": keep-alive\r\n\r\nevent: error\r\ndata: x\r\n\r\n")
    assert len(events) == 1
    assert events[0].event == "error"
    assert events[0].data == "x"


def test_multiline_data_round_trips() -> None:
    event = SseEvent(data="a\nb", event="e")
    parsed = SseParser().feed(event.encode())
    assert parsed == [event]


def test_utf8_split_mid_character() -> None:
    raw = "data: héllo\n\n".encode()
    parser = SseParser()
    cut = raw.index("é".encode()) + 1
    assert parser.feed(raw[:cut]) == []
    assert parser.feed(raw[cut:])[0].data == "héllo"


def test_flush_returns_unterminated_last_event() -> None:
    parser = SseParser()
    parser.feed(b"data: tail")
    assert [e.data for e in parser.flush()] == ["tail"]


def test_oversized_event_is_refused() -> None:
    parser = SseParser(max_event_bytes=16)
    with pytest.raises(ValueError, match="larger than"):
        parser.feed(b"data: " + b"x" * 64)
