"""Helpers shared by the learned-detector tests: offline guard and the flag rule."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from detectors._base import Finding


def _refuse(*_: Any, **__: Any) -> None:
    raise OSError("network disabled in this test")


def block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every outbound connection fail, so a download attempt would raise."""
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    monkeypatch.setattr(socket, "create_connection", _refuse)


def flagged(findings: list[Finding], kinds: set[str]) -> bool:
    """Whether any finding of ``kinds`` reaches the recommended threshold 0.5."""
    return any(f.kind in kinds and f.score >= 0.5 for f in findings)
