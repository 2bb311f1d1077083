"""The live policy: one engine reference, swapped atomically on a successful reload.

Reloading parses, validates and compiles the whole directory off the event
loop, then replaces one reference; requests hold the engine they started
with. A failed reload keeps the last good engine and records the error
(log, metrics, :meth:`PolicyStore.status`). The watcher polls a content
hash of the policy files (read through symlinks, so a Kubernetes ConfigMap's
``..data`` swap is seen like any edit).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import structlog

from middleware import metrics
from middleware.audit import record_reload
from middleware.policy._engine import PolicyEngine
from middleware.policy._loader import PolicyLoadError, load_policy_set, policy_paths
from middleware.policy._sources import FindingSource

__all__ = ["PolicyStore", "ReloadOutcome", "ReloadStatus"]

log = structlog.get_logger("tollgate.policy")

ReloadOutcome = Literal["success", "failure", "unchanged"]


@dataclass(frozen=True, slots=True)
class ReloadStatus:
    """What ``GET /policy`` shows: the serving set and the last attempt."""

    revision: str | None
    versions: tuple[tuple[str, str], ...]
    loaded_at: float | None
    files: tuple[str, ...]
    rules: int
    last_attempt_at: float | None
    last_result: ReloadOutcome | None
    last_error: str | None
    missing_detectors: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "revision": self.revision,
            "versions": dict(self.versions),
            "loaded_at": self.loaded_at,
            "files": list(self.files),
            "rules": self.rules,
            "last_attempt_at": self.last_attempt_at,
            "last_result": self.last_result,
            "last_error": self.last_error,
            "missing_detectors": list(self.missing_detectors),
        }


class PolicyStore:
    """Holds the serving :class:`PolicyEngine` for a directory and reloads it."""

    def __init__(self, root: str | Path, source: FindingSource) -> None:
        self.root = Path(root)
        self.source = source
        self._engine: PolicyEngine | None = None
        self._fingerprint: str | None = None
        self._status = ReloadStatus(None, (), None, (), 0, None, None, None)
        self._lock = asyncio.Lock()

    @property
    def engine(self) -> PolicyEngine:
        """The serving engine; ``RuntimeError`` before the first successful load."""
        if self._engine is None:
            raise RuntimeError("no policy loaded")
        return self._engine

    @property
    def loaded(self) -> bool:
        """Whether a policy set is serving."""
        return self._engine is not None

    def status(self) -> ReloadStatus:
        """The current status snapshot."""
        return self._status

    def fingerprint(self) -> str:
        """A hash of the names and contents of the policy files (blocking I/O)."""
        h = hashlib.sha256()
        try:
            top, _ = policy_paths(self.root)
        except OSError as exc:
            return f"unreadable:{exc.errno}"
        for path in top:
            try:
                data = path.read_bytes()
            except OSError as exc:
                data = f"unreadable:{exc.errno}".encode()
            h.update(path.name.encode() + b"\0" + hashlib.sha256(data).digest())
        return h.hexdigest()

    def load_sync(self) -> ReloadOutcome:
        """Load, validate, compile and swap (blocking; off the event loop in the proxy)."""
        now = time.time()
        fingerprint = self.fingerprint()
        try:
            engine = PolicyEngine.compile(load_policy_set(self.root), self.source)
        except PolicyLoadError as exc:
            self._fingerprint = fingerprint
            self._failed(now, "\n".join(str(i) for i in exc.issues))
            return "failure"
        except Exception as exc:  # never let a reload take the serving set down
            self._fingerprint = fingerprint
            self._failed(now, f"{type(exc).__name__}: {exc}")
            return "failure"
        self._fingerprint = fingerprint
        old = self._engine
        if old is not None and old.revision.hash == engine.revision.hash:
            self._status = replace(self._status, last_attempt_at=now, last_result="unchanged",
                                    last_error=None)  # fmt: skip
            metrics.POLICY_RELOADS.labels("unchanged").inc()
            metrics.POLICY_LAST_RELOAD_SUCCESS.set(1)
            return "unchanged"
        self._engine = engine  # the swap: one reference
        pset = engine.policy_set
        needed = {n for r in engine.rules for n in r.detectors}
        missing = tuple(sorted(needed - engine.available))
        self._status = ReloadStatus(
            revision=engine.revision.short,
            versions=engine.revision.versions,
            loaded_at=now,
            files=tuple(Path(p.path).name for p in pset.policies),
            rules=len(engine.rules),
            last_attempt_at=now,
            last_result="success",
            last_error=None,
            missing_detectors=missing,
        )
        metrics.POLICY_RELOADS.labels("success").inc()
        metrics.POLICY_LAST_RELOAD_SUCCESS.set(1)
        if old is not None:
            metrics.POLICY_INFO.remove(old.revision.short)
        metrics.POLICY_INFO.labels(engine.revision.short).set(1)
        for mode in ("enforce", "monitor"):
            count = sum(r.rule.mode == mode for r in engine.rules)
            metrics.POLICY_RULES.labels(mode).set(count)
        record_reload(
            result="success",
            revision=engine.revision.short,
            previous_revision=old.revision.short if old is not None else None,
            rules=len(engine.rules),
            files=dict(engine.revision.versions),
        )
        log.info("policy_loaded", revision=engine.revision.short, rules=len(engine.rules),
                 versions=dict(engine.revision.versions))  # fmt: skip
        if missing:
            # Not fatal: those rules fail open or closed as they declare.
            log.warning("policy_detectors_unavailable", detectors=list(missing))
        return "success"

    def _failed(self, now: float, error: str) -> None:
        self._status = replace(
            self._status, last_attempt_at=now, last_result="failure", last_error=error
        )
        metrics.POLICY_RELOADS.labels("failure").inc()
        metrics.POLICY_LAST_RELOAD_SUCCESS.set(0)
        serving = self._engine.revision.short if self._engine else None
        log.error("policy_reload_failed", error=error, serving_revision=serving)
        record_reload(result="failure", revision=serving, error=error)

    async def reload(self) -> ReloadOutcome:
        """Reload now (SIGHUP, admin endpoint); serialised with the watcher."""
        async with self._lock:
            return await asyncio.to_thread(self.load_sync)

    async def check(self) -> ReloadOutcome | None:
        """Reload if the files' content hash changed since the last attempt."""
        async with self._lock:
            fingerprint = await asyncio.to_thread(self.fingerprint)
            if fingerprint == self._fingerprint:
                return None
            return await asyncio.to_thread(self.load_sync)

    async def watch(self, interval_s: float) -> None:
        """Poll every ``interval_s`` until cancelled; errors are logged, never raised."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.check()
            except Exception:
                log.exception("policy_watch_failed")
