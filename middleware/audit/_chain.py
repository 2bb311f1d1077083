"""The HMAC chain that makes the audit log tamper-evident.

Every event carries ``seq`` (1, 2, 3, ... across files and restarts),
``prev_mac`` (the previous event's ``mac``; :data:`GENESIS` for the first)
and ``mac`` = HMAC-SHA256 under the audit key of the event's canonical JSON
without ``mac``. Editing, deleting, inserting or reordering a line breaks
the chain; forging a line needs the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["GENESIS", "ChainState", "HmacChain", "canonical", "compute_mac"]

#: ``prev_mac`` of the first event of a chain.
GENESIS = "0" * 64


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _dumps(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def canonical(event: Mapping[str, Any]) -> str:
    """The serialisation that is MACed: sorted keys, no spaces, NaN/inf as null."""
    try:
        return _dumps(event)
    except ValueError:  # a non-finite float somewhere: rare, so only then walk the event
        return _dumps(_finite(dict(event)))


def _mac(key: bytes, body: str) -> str:
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def compute_mac(key: bytes, event: Mapping[str, Any]) -> str:
    """HMAC-SHA256 (hex) of ``event``'s canonical JSON without its ``mac`` field."""
    return _mac(key, canonical({k: v for k, v in event.items() if k != "mac"}))


@dataclass(frozen=True, slots=True)
class ChainState:
    """Where a chain stands: the last sequence number and MAC."""

    seq: int = 0
    mac: str = GENESIS


class HmacChain:
    """Appends ``seq``/``prev_mac``/``mac`` to events, one after the other.

    Not thread-safe: one chain is advanced from the event loop only.
    """

    def __init__(self, key: bytes, state: ChainState | None = None) -> None:
        self._key = key
        self._state = state or ChainState()

    @property
    def state(self) -> ChainState:
        """The last link (to resume after a restart)."""
        return self._state

    def link(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of ``event`` with the next ``seq``, ``prev_mac`` and its ``mac``."""
        out = dict(event)
        out["seq"] = self._state.seq + 1
        out["prev_mac"] = self._state.mac
        out["mac"] = compute_mac(self._key, out)
        self._state = ChainState(out["seq"], out["mac"])
        return out

    def seal(self, event: Mapping[str, Any]) -> str:
        """``event`` linked and serialised in one pass: its canonical JSON with
        ``seq`` and ``prev_mac``, then ``mac`` appended as the last field."""
        out = dict(event)
        out.pop("mac", None)
        out["seq"] = self._state.seq + 1
        out["prev_mac"] = self._state.mac
        body = canonical(out)
        mac = _mac(self._key, body)
        self._state = ChainState(out["seq"], mac)
        return f'{body[:-1]},"mac":"{mac}"}}'
