"""Token usage reported by the upstream: one reader for JSON bodies and stream frames."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["record_usage", "total_tokens"]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def record_usage(usage_out: dict[str, int], body: Any) -> None:
    """Copy ``body["usage"]`` into ``usage_out`` (``ctx.usage``).

    Keys: ``prompt_tokens``, ``completion_tokens``, ``total_tokens`` and
    ``reasoning_tokens`` -- from ``completion_tokens_details`` (OpenAI: already
    inside ``completion_tokens``) or a top-level ``reasoning_tokens`` (muse:
    billed on top unless ``total_tokens`` says otherwise).
    """
    usage = body.get("usage") if isinstance(body, Mapping) else None
    if not isinstance(usage, Mapping):
        return
    for name in ("prompt_tokens", "completion_tokens", "total_tokens"):
        value = _int(usage.get(name))
        if value is not None:
            usage_out[name] = value
    details = usage.get("completion_tokens_details")
    inner = _int(details.get("reasoning_tokens")) if isinstance(details, Mapping) else None
    outer = _int(usage.get("reasoning_tokens"))
    if inner is not None:
        usage_out["reasoning_tokens"] = inner
    elif outer is not None:
        usage_out["reasoning_tokens"] = outer
        if "total_tokens" not in usage_out:
            usage_out["total_tokens"] = (
                usage_out.get("prompt_tokens", 0) + usage_out.get("completion_tokens", 0) + outer
            )


def total_tokens(usage: Mapping[str, int]) -> int | None:
    """Tokens actually used (reasoning included), or ``None`` when unknown."""
    if "total_tokens" in usage:
        return usage["total_tokens"]
    if "prompt_tokens" in usage or "completion_tokens" in usage:
        return usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0)
    return None
