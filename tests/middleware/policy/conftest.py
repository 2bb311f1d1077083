"""Shared helpers: write policy files, a fake detector source, segments."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

import pytest

from detectors._base import Finding
from middleware.adapters import Segment
from middleware.policy._sources import ScanOutcome, SourceResult

HEADER = """\
apiVersion: tollgate.dev/v1
kind: Policy
metadata: {name: %s, version: "%s", owner: security}
rules:
"""


def policy_yaml(rules: str, name: str = "test", version: str = "1") -> str:
    """A policy file with ``rules`` (a YAML list, dedented)."""
    return HEADER % (name, version) + textwrap.indent(textwrap.dedent(rules).strip("\n"), "  ")


class FakeSource:
    """Regex 'detectors': pii (emails), secrets (AWS keys), misuse (word 'nerve agent')."""

    PATTERNS: Mapping[str, tuple[str, str, float]] = {
        "pii": (r"[\w.+-]+@[\w-]+\.[\w.]+", "pii.EMAIL_ADDRESS", 0.9),
        "secrets": (r"AKIA[0-9A-Z]{16}", "secret.aws_access_key", 1.0),
        "misuse": (r"nerve agent", "misuse.indiscriminate_weapons", 0.8),
    }

    def __init__(self, failing: Collection[str] = ()) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.failing = set(failing)

    def kinds(self) -> Mapping[str, frozenset[str]]:
        return {"pii": frozenset({"pii.*"}), "secrets": frozenset({"secret.*"}),
                "misuse": frozenset({"misuse.*"})}  # fmt: skip

    async def scan(self, text: str, names: Collection[str]) -> ScanOutcome:
        return self.scan_sync(text, names)

    def scan_sync(self, text: str, names: Collection[str]) -> ScanOutcome:
        self.calls.append(tuple(sorted(names)))
        found: list[Finding] = []
        failed: dict[str, str] = {}
        for name in names:
            if name in self.failing:
                failed[name] = "error"
                continue
            pattern, kind, score = self.PATTERNS[name]
            found.extend(
                Finding(kind, score, m.start(), m.end(), name) for m in re.finditer(pattern, text)
            )
        return SourceResult(tuple(sorted(found, key=lambda f: f.start)), failed)


def _seg(text: str, role: str = "user", index: int = 0, channel: str = "content") -> Segment:
    return Segment(role, text, index, ("messages", index, "content"), channel)  # type: ignore[arg-type]


@pytest.fixture
def seg() -> Callable[..., Segment]:
    """Build a request segment at ``messages[index].content``."""
    return _seg


@pytest.fixture
def source() -> FakeSource:
    """A fake detector source with pii, secrets and misuse 'detectors'."""
    return FakeSource()


@pytest.fixture
def failing_source() -> FakeSource:
    """A fake source whose pii detector fails."""
    return FakeSource(failing={"pii"})


@pytest.fixture
def write_policy(tmp_path: Path) -> Callable[..., Path]:
    """Write ``rules`` as ``<name>.yaml`` under a policy dir; returns the dir."""
    root = tmp_path / "policies"
    root.mkdir()

    def write(rules: str, name: str = "test", version: str = "1") -> Path:
        (root / f"{name}.yaml").write_text(policy_yaml(rules, name, version), encoding="utf-8")
        return root

    return write
