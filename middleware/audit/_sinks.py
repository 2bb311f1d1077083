"""Audit sinks: where rendered event lines go (stdout, a size-rotated file).

Sinks are blocking and called from a worker thread by their writer, never
on the event loop; one sink is written by one writer at a time. A sink
raises ``OSError`` when a write fails (the writer retries and counts).
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from middleware.audit._settings import FileSinkSettings, SinkSettings, StdoutSinkSettings

__all__ = ["FileSink", "Sink", "StdoutSink", "build_sink", "expand_path", "last_event_in"]

_TAIL_BYTES = 1 << 16


class Sink(Protocol):
    """A destination for audit lines (each ends with a newline)."""

    name: str

    def open(self) -> None:
        """Prepare for writing (create directories, open files)."""
        ...

    def write(self, lines: list[str]) -> None:
        """Write and flush ``lines``; raise ``OSError`` on failure."""
        ...

    def last_event(self) -> dict[str, Any] | None:
        """The last event already in the sink (to resume the chain), if it can tell."""
        ...

    def close(self) -> None:
        """Flush and release."""
        ...


class StdoutSink:
    """One line per event on standard output (read at write time: it may be swapped)."""

    def __init__(self, name: str = "stdout") -> None:
        self.name = name

    def open(self) -> None:
        """Nothing to prepare."""

    def write(self, lines: list[str]) -> None:
        """Write and flush."""
        out = sys.stdout
        out.write("".join(lines))
        out.flush()

    def last_event(self) -> dict[str, Any] | None:
        """Standard output cannot be read back."""
        return None

    def close(self) -> None:
        """Flush."""
        sys.stdout.flush()


def last_event_in(path: Path) -> dict[str, Any] | None:
    """The last complete JSON event line of ``path`` (None if there is none)."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - _TAIL_BYTES))
            tail = fh.read()
    except FileNotFoundError:
        return None
    for raw in reversed(tail.splitlines()):
        try:
            event = json.loads(raw)
        except ValueError:
            continue
        if isinstance(event, dict) and isinstance(event.get("seq"), int):
            return event
    return None


def expand_path(path: str) -> str:
    """``path`` with ``{hostname}`` and ``{pid}`` replaced (other braces left alone)."""
    return path.replace("{hostname}", socket.gethostname()).replace("{pid}", str(os.getpid()))


class FileSink:
    """JSON lines appended to ``path``; rotated by size to ``path.1``, ``path.2``, ...

    A line is never split across files. ``backups`` rotated files are kept
    (0: all). Rotation does not restart the chain: the next file's first
    event links to the previous file's last one. ``{hostname}`` and ``{pid}``
    in the path are filled in, so several processes never share a file (each
    keeps its own chain).
    """

    def __init__(self, settings: FileSinkSettings) -> None:
        self.name = settings.name
        self.path = Path(expand_path(settings.path))
        self.max_bytes = settings.max_bytes
        self.backups = settings.backups
        self.fsync = settings.fsync
        self._fh: BinaryIO | None = None
        self._size = 0

    def open(self) -> None:
        """Create the directory and open the current file for appending."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("ab")
        self._size = self._fh.tell()

    def write(self, lines: list[str]) -> None:
        """Append ``lines``, rotating first whenever the next line would not fit."""
        if self._fh is None:
            self.open()
        for line in lines:
            data = line.encode()
            if self._size and self._size + len(data) > self.max_bytes:
                self._rotate()
            fh = self._fh
            assert fh is not None
            fh.write(data)
            self._size += len(data)
        assert self._fh is not None
        self._fh.flush()
        if self.fsync:
            os.fsync(self._fh.fileno())

    def _rotated(self, n: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{n}")

    def _rotate(self) -> None:
        assert self._fh is not None
        self._fh.flush()
        if self.fsync:
            os.fsync(self._fh.fileno())
        self._fh.close()
        self._fh = None
        n = 1
        while self._rotated(n).exists():
            n += 1
        if self.backups and n > self.backups:
            self._rotated(self.backups).unlink()
            n = self.backups
        for i in range(n - 1, 0, -1):
            self._rotated(i).rename(self._rotated(i + 1))
        self.path.rename(self._rotated(1))
        self._fh = self.path.open("ab")
        self._size = 0

    def last_event(self) -> dict[str, Any] | None:
        """The last event of the current file, or of the newest rotated one."""
        return last_event_in(self.path) or last_event_in(self._rotated(1))

    def close(self) -> None:
        """Flush and close the file."""
        if self._fh is not None:
            self._fh.flush()
            if self.fsync:
                os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None


def build_sink(settings: SinkSettings) -> Sink:
    """The sink for one ``audit.sinks`` entry (the one registry of sink types)."""
    if isinstance(settings, StdoutSinkSettings):
        return StdoutSink(settings.name)
    return FileSink(settings)
