"""An incremental parser for server-sent events (the ``text/event-stream`` wire format).

Upstream chunks split events anywhere -- mid-line, mid-UTF-8 sequence --
so the parser buffers bytes and yields only complete events.
"""

from __future__ import annotations

from middleware._context import SseEvent

__all__ = ["SseParser"]


class SseParser:
    """Feed bytes, get complete :class:`SseEvent` values.

    Comment lines (``:`` keep-alives) are dropped; ``max_event_bytes`` bounds
    the buffer so a stream that never ends an event cannot exhaust memory.
    """

    def __init__(self, *, max_event_bytes: int = 1 << 20) -> None:
        self._buf = bytearray()
        self._max = max_event_bytes

    def feed(self, chunk: bytes) -> list[SseEvent]:
        """Add ``chunk``; return the events it completed."""
        self._buf += chunk
        events: list[SseEvent] = []
        if b"\r" not in self._buf:
            # The common case, LF-only lines: one split finds every complete
            # event (the loop below rescans the buffer per event).
            *blocks, rest = self._buf.split(b"\n\n")
            for raw in blocks:
                parsed = _parse_data_line(raw) or self._parse(bytes(raw))
                if parsed is not None:
                    events.append(parsed)
            self._buf = rest
            if len(rest) > self._max:
                raise ValueError(f"SSE event larger than {self._max} bytes")
            return events
        while True:
            block, sep = self._split()
            if sep == 0:
                break
            del self._buf[: len(block) + sep]
            event = self._parse(block)
            if event is not None:
                events.append(event)
        if len(self._buf) > self._max:
            raise ValueError(f"SSE event larger than {self._max} bytes")
        return events

    def flush(self) -> list[SseEvent]:
        """End of stream: parse a final event that lacked its blank line."""
        if not self._buf.strip():
            self._buf.clear()
            return []
        event = self._parse(bytes(self._buf))
        self._buf.clear()
        return [event] if event is not None else []

    @property
    def pending(self) -> int:
        """Bytes buffered that do not yet form a complete event."""
        return len(self._buf)

    def _split(self) -> tuple[bytes, int]:
        buf = self._buf
        best = -1
        sep_len = 0
        for sep in (b"\r\n\r\n", b"\n\n", b"\r\r"):
            pos = buf.find(sep)
            if pos != -1 and (best == -1 or pos < best):
                best, sep_len = pos, len(sep)
        if best == -1:
            return b"", 0
        return bytes(buf[:best]), sep_len

    @staticmethod
    def _parse(block: bytes) -> SseEvent | None:
        text = block.decode("utf-8", errors="replace")
        data: list[str] = []
        event: str | None = None
        event_id: str | None = None
        for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
            if name == "data":
                data.append(value)
            elif name == "event":
                event = value
            elif name == "id":
                event_id = value
        if not data and event is None:
            return None
        return SseEvent(data="\n".join(data), event=event, id=event_id)


def _parse_data_line(block: bytearray) -> SseEvent | None:
    """The event of a block that is one ``data:`` line (most are); ``None`` for any other."""
    if b"\n" in block or not block.startswith(b"data:"):
        return None
    value = block[6:] if block[5:6] == b" " else block[5:]
    return SseEvent(data=value.decode("utf-8", errors="replace"))
