"""Registration of the learned detectors under the names the policy uses."""

from __future__ import annotations

__all__ = ["LEARNED_DETECTORS", "register_learned"]

LEARNED_DETECTORS = ("misuse", "injection", "jailbreak")


def register_learned() -> None:
    """Register ``misuse``, ``injection`` and ``jailbreak`` in the detector registry.

    Idempotent. Importing the detector modules has no side effect; call this once
    at start-up (``detectors/__init__`` is the natural place).
    """
    # Imported here: the detector modules re-export this function.
    from detectors._base import register
    from detectors.injection import create_injection
    from detectors.jailbreak import create_jailbreak
    from detectors.misuse import create_misuse

    register("misuse", create_misuse)
    register("injection", create_injection)
    register("jailbreak", create_jailbreak)
