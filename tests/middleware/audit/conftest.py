"""Audit test helpers: a key, chained files written the real way, a file-sink addon."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from middleware.audit import AuditAddon, FileSink, HmacChain, parse_audit_settings

KEY = b"test-audit-key-0123456789"


def write_chain(path: Path, n: int, *, start: HmacChain | None = None) -> HmacChain:
    """Append ``n`` chained request-like events to ``path``; return the chain."""
    chain = start or HmacChain(KEY)
    with path.open("a", encoding="utf-8") as fh:
        for i in range(n):
            event = chain.link({"event": "request", "decision": "allow", "i": i})
            fh.write(json.dumps(event, sort_keys=True, separators=(",", ":")) + "\n")
    return chain


def read_events(*paths: Path) -> list[dict[str, Any]]:
    """Every event line of ``paths``, in order."""
    out: list[dict[str, Any]] = []
    for path in paths:
        out.extend(json.loads(line) for line in path.read_text().splitlines() if line)
    return out


def file_audit(path: Path, **extra: Any) -> AuditAddon:
    """An audit addon writing only to a file sink at ``path``."""
    raw: dict[str, Any] = {"sinks": [{"type": "file", "path": str(path)}]}
    raw.update(extra)
    return AuditAddon(parse_audit_settings(raw), key=KEY)


async def until(condition: Callable[[], bool], *, timeout_s: float = 10.0) -> None:
    """Wait (bounded) until ``condition()`` holds; fail the test if it never does."""
    for _ in range(int(timeout_s / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


__all__ = ["KEY", "FileSink", "file_audit", "read_events", "until", "write_chain"]
