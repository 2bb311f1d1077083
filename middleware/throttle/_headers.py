"""Rate-limit response headers and the refusal errors.

Every throttled response carries OpenAI's ``x-ratelimit-{limit,remaining,
reset}-{requests,tokens}`` (reset as a duration like ``6m0s``) and the IETF
draft's ``RateLimit-Limit``/``-Remaining``/``-Reset``/``-Policy`` for the
tightest limit. Refusals are :class:`~middleware.errors.ApiError` in
OpenAI's error shape: 429 (with exact ``Retry-After``/``retry-after-ms``),
403 for suspended actors, 503 when a fail-closed limit cannot be checked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

from middleware.errors import ApiError
from middleware.throttle._backend import LimitState

__all__ = [
    "format_duration",
    "rate_limit_headers",
    "rate_limited",
    "suspended",
    "unavailable",
]

_WINDOW_NAMES = {1.0: "second", 60.0: "minute", 3600.0: "hour", 86400.0: "day"}


def format_duration(seconds: float) -> str:
    """OpenAI's reset format: ``20ms``, ``1.5s``, ``6m0s``, ``1h0m0s``."""
    ms = math.ceil(max(0.0, seconds) * 1000 - 1e-6)
    if ms < 1000:
        return f"{ms}ms"
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    out = f"{hours}h" if hours else ""
    if hours or minutes:
        out += f"{minutes}m"
    text = f"{rest / 1000:.3f}".rstrip("0").rstrip(".")
    return out + f"{text}s"


def _tightest(states: Sequence[LimitState]) -> LimitState:
    return min(states, key=lambda s: (s.remaining / max(1, s.spec.burst), -s.reset_s))


def rate_limit_headers(states: Sequence[LimitState]) -> dict[str, str]:
    """Headers describing ``states`` (rate limits only; leases have no window)."""
    out: dict[str, str] = {}
    for kind in ("requests", "tokens"):
        group = [s for s in states if s.spec.kind == kind]
        if group:
            tight = min(group, key=lambda s: (s.remaining, -s.reset_s))
            out[f"x-ratelimit-limit-{kind}"] = str(tight.spec.limit)
            out[f"x-ratelimit-remaining-{kind}"] = str(tight.remaining)
            out[f"x-ratelimit-reset-{kind}"] = format_duration(tight.reset_s)
    rated = [s for s in states if s.spec.kind != "concurrency"]
    if rated:
        tight = _tightest(rated)
        out["ratelimit-limit"] = str(tight.spec.limit)
        out["ratelimit-remaining"] = str(tight.remaining)
        out["ratelimit-reset"] = str(math.ceil(tight.reset_s))
        out["ratelimit-policy"] = ", ".join(
            f'{s.spec.limit};w={int(s.spec.period_s)};burst={s.spec.burst};name="{s.spec.name}"'
            for s in rated
        )
    return out


def _retry_headers(seconds: float) -> dict[str, str]:
    return {
        "retry-after": str(max(1, math.ceil(seconds))),
        "retry-after-ms": str(max(1, math.ceil(seconds * 1000))),
    }


def rate_limited(state: LimitState, retry_after_s: float) -> ApiError:
    """429 naming the limit that refused, with the exact wait."""
    spec = state.spec
    if spec.kind == "concurrency":
        what = f"{spec.name.replace('_', ' ')} ({spec.limit} at a time)"
    else:
        window = _WINDOW_NAMES.get(spec.period_s, f"{spec.period_s:g}s")
        what = f"{spec.name.replace('_', ' ')} (limit {spec.limit} per {window})"
    return ApiError(
        429,
        f"Rate limit reached for {what}; remaining {state.remaining}. "
        f"Please try again in {format_duration(retry_after_s)}.",
        type=spec.kind,
        code="rate_limit_exceeded",
        headers=_retry_headers(retry_after_s),
        extra={"limit": spec.name, "retry_after_s": round(retry_after_s, 3)},
    )


def suspended(until: float, reason: str, now: float) -> ApiError:
    """403 for a suspended actor: the reason and until when (UTC, ISO 8601)."""
    when = datetime.fromtimestamp(until, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return ApiError(
        403,
        f"This API key is suspended until {when}: {reason}.",
        type="permission_error",
        code="actor_suspended",
        headers=_retry_headers(until - now),
        extra={"reason": reason, "suspended_until": when},
    )


def unavailable(limit: str) -> ApiError:
    """503 when a fail_closed limit cannot be checked (Redis down or slow)."""
    return ApiError(
        503,
        f"Rate limiting is temporarily unavailable and limit {limit!r} is fail_closed; "
        "please retry shortly.",
        type="server_error",
        code="rate_limiter_unavailable",
        headers={"retry-after": "1"},
        extra={"limit": limit},
    )
