from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


_WIRE = st.lists(
    st.sampled_from(
        [
            b"data: x",
            b"data:y",
            b'data: {"a": 1}',
            b": ping",
            b"event: e",
            b"id: 7",
            b"data: \xc3\xa9",
            b"",
            b"retry: 5",
        ]
    ),
    max_size=12,
)


@given(lines=_WIRE, cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=6))
def test_lf_streams_parse_as_the_general_path_does(lines: list[bytes], cuts: list[int]) -> None:
    # The LF-only fast path against the CRLF path, which is the general loop.
    lf = b"".join(line + b"\n" for line in lines) + b"\n"
    crlf = lf.replace(b"\n", b"\r\n")
    got: dict[bytes, list[SseEvent]] = {}
    for wire in (lf, crlf):
        parser = SseParser()
        points = sorted({0, len(wire), *(c % (len(wire) + 1) for c in cuts)})
        events: list[SseEvent] = []
        for a, b in itertools.pairwise(points):
            events += parser.feed(wire[a:b])
        got[wire] = events + parser.flush()
    assert got[lf] == got[crlf]


def test_one_data_line_encodes_as_it_would_be_sent() -> None:
    assert SseEvent(data='{"a": 1}').encode() == b'data: {"a": 1}\n\n'
    assert SseParser().feed(SseEvent(data="x", id="3").encode()) == [SseEvent(data="x", id="3")]
