"""Small detectors for runner tests: counting, failing, slow, word-matching."""

from __future__ import annotations

import os
import re
import threading
import time

from detectors import Finding

__all__ = ["CountingDetector", "CrashingDetector", "FailingDetector", "SlowDetector"]


class CountingDetector:
    """Finds every occurrence of ``word`` and counts ``detect`` calls."""

    kinds = frozenset({"test.word"})
    config_key = "counting:v1"
    scans_decoded = True

    def __init__(self, word: str = "secret", *, cpu_heavy: bool = False) -> None:
        self.name = "counting"
        self.cpu_heavy = cpu_heavy
        self.word = word
        self.calls = 0
        self.chars = 0
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        del state["_lock"]  # locks do not pickle; a worker process gets its own
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def detect(self, text: str) -> list[Finding]:
        with self._lock:
            self.calls += 1
            self.chars += len(text)
        return [
            Finding("test.word", 0.9, m.start(), m.end())
            for m in re.finditer(re.escape(self.word), text)
        ]

    def warmup(self) -> None:
        return None


class FailingDetector:
    """Always raises."""

    name = "failing"
    kinds = frozenset({"test.fail"})
    cpu_heavy = False
    config_key = "failing:v1"

    def detect(self, text: str) -> list[Finding]:
        raise RuntimeError("boom")

    def warmup(self) -> None:
        return None


class SlowDetector:
    """Sleeps ``seconds`` per call, off the event loop."""

    name = "slow"
    kinds = frozenset({"test.slow"})
    cpu_heavy = True
    config_key = "slow:v1"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def detect(self, text: str) -> list[Finding]:
        time.sleep(self.seconds)
        return [Finding("test.slow", 1.0, 0, len(text))]

    def warmup(self) -> None:
        return None


class CrashingDetector:
    """Kills the (worker) process it runs in."""

    name = "crashing"
    kinds = frozenset({"test.crash"})
    cpu_heavy = True
    config_key = "crashing:v1"

    def detect(self, text: str) -> list[Finding]:
        os._exit(3)

    def warmup(self) -> None:
        return None
