"""The rotating file sink and the bounded writer: whole lines, kept chain, counted loss."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

from prometheus_client import REGISTRY

from middleware.audit import (
    AuditTrail,
    FileSink,
    FileSinkSettings,
    parse_audit_settings,
    verify_files,
)
from tests.middleware.audit.conftest import KEY, read_events, until


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_rotation_never_splits_a_line(tmp_path: Path) -> None:
    sink = FileSink(FileSinkSettings(path=str(tmp_path / "a.jsonl"), max_bytes=100, backups=0))
    sink.open()
    sink.write([f'{{"n":{i},"pad":"{"x" * 30}"}}\n' for i in range(10)])
    sink.close()
    files = sorted(tmp_path.iterdir())
    assert len(files) > 2
    for path in files:
        assert path.stat().st_size <= 100
        assert path.read_text().endswith("\n")


def test_rotation_keeps_at_most_backups_files(tmp_path: Path) -> None:
    sink = FileSink(FileSinkSettings(path=str(tmp_path / "a.jsonl"), max_bytes=50, backups=2))
    sink.open()
    sink.write([f'{{"n":{i},"pad":"{"x" * 30}"}}\n' for i in range(10)])
    sink.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl", "a.jsonl.1", "a.jsonl.2"]


def _trail(tmp_path: Path, **extra: object) -> AuditTrail:
    raw = {"sinks": [{"type": "file", "path": str(tmp_path / "audit.jsonl"), **extra}]}
    return AuditTrail(parse_audit_settings(raw), KEY)


async def test_chain_continues_across_rotation_and_restart(tmp_path: Path) -> None:
    for _ in range(2):  # the second trail resumes from the file's last event
        trail = _trail(tmp_path, max_bytes=400)
        await trail.start()
        for i in range(10):
            trail.record({"event": "request", "i": i})
        await trail.close()
    files = list(tmp_path.iterdir())
    assert len(files) > 3
    report = verify_files(files, KEY)
    assert report.ok, report.problem
    assert (report.events, report.chain_starts) == (20, 1)


class _BrokenSink:
    """A sink whose disk is gone until ``fixed`` is set."""

    name = "broken"

    def __init__(self) -> None:
        self.fixed = False
        self.lines: list[str] = []

    def open(self) -> None:
        pass

    def write(self, lines: list[str]) -> None:
        if not self.fixed:
            raise OSError(28, "No space left on device")
        self.lines.extend(lines)

    def last_event(self) -> None:
        return None

    def close(self) -> None:
        pass


async def test_failing_sink_turns_unhealthy_retries_and_recovers() -> None:
    sink = _BrokenSink()
    settings = parse_audit_settings({"retry_interval_s": 0.01})
    trail = AuditTrail(settings, KEY, sinks=[sink])
    await trail.start()
    errors_before = _sample("tollgate_audit_sink_errors_total", sink="broken")
    trail.record({"event": "request"})
    await until(lambda: not trail.healthy)
    assert _sample("tollgate_audit_sink_errors_total", sink="broken") > errors_before
    sink.fixed = True
    await until(lambda: bool(trail.healthy))
    await trail.close()
    assert len(sink.lines) == 1


async def test_overflow_drops_are_counted_and_leave_a_gap_event(tmp_path: Path) -> None:
    settings = parse_audit_settings(
        {"queue_size": 2, "sinks": [{"type": "file", "name": "small", "path": str(tmp_path / "a")}]}
    )
    trail = AuditTrail(settings, KEY)
    await trail.start()
    before = _sample("tollgate_audit_events_dropped_total", sink="small", reason="queue_full")
    for i in range(5):  # no await: the writer cannot drain in between
        trail.record({"event": "request", "i": i})
    assert not trail.healthy
    dropped = _sample("tollgate_audit_events_dropped_total", sink="small", reason="queue_full")
    assert dropped - before == 3
    await asyncio.sleep(0.05)
    trail.record({"event": "request", "i": 5})
    await trail.close()
    events = read_events(tmp_path / "a")
    assert [e["event"] for e in events] == ["request", "request", "audit_gap", "request"]
    assert events[2]["dropped"] == 3
    assert verify_files([tmp_path / "a"], KEY).ok


def test_file_path_placeholders_give_each_process_its_own_file(tmp_path: Path) -> None:
    settings = FileSinkSettings(path=str(tmp_path / "audit-{hostname}-{pid}.jsonl"))
    sink = FileSink(settings)
    assert sink.path.name == f"audit-{socket.gethostname()}-{os.getpid()}.jsonl"
