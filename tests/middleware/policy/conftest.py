"""Shared helpers: write policy files, a fake detector source, segments."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from pathlib import Path
from typing import Any

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from detectors._base import Finding
from middleware._context import ProxyRequest
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


class FakeUpstreamResponse:
    """A complete JSON response from the fake upstream."""

    def __init__(self, status: int, payload: Any) -> None:
        self.status = status
        self.headers = CIMultiDictProxy(CIMultiDict({"content-type": "application/json"}))
        self._body = json.dumps(payload).encode()

    async def read(self) -> bytes:
        return self._body

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        yield self._body

    def close(self) -> None:
        pass


class FakeUpstream:
    """The fake LLM: records what it received, answers with ``reply`` as the message."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.reply = "Hello!"

    async def send(
        self, method: str, path_qs: str, headers: CIMultiDict[str], body: bytes
    ) -> FakeUpstreamResponse:
        self.received.append(json.loads(body))
        payload = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": self.reply}}],
        }  # fmt: skip
        return FakeUpstreamResponse(200, payload)


@pytest.fixture
def fake_upstream() -> FakeUpstream:
    """A fake upstream LLM (in-process, for pipeline tests)."""
    return FakeUpstream()


def chat_request(body: dict[str, Any], path: str = "/v1/chat/completions") -> ProxyRequest:
    """A POST of ``body`` as a plain-value request."""
    headers = CIMultiDictProxy(CIMultiDict({"content-type": "application/json"}))
    return ProxyRequest("POST", path, "", headers, json.dumps(body).encode())


@pytest.fixture
def make_request() -> Callable[..., ProxyRequest]:
    """Build a JSON POST request."""
    return chat_request


@pytest.fixture
def policy_text() -> Callable[..., str]:
    """Render a policy file's text from rules (see ``policy_yaml``)."""
    return policy_yaml
