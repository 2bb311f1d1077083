"""Admin endpoints for the throttle (mounted on the loopback admin port).

``GET /throttle/keys/{key_id}``: the key's tier-independent actor state --
risk score and suspension. ``DELETE /throttle/keys/{key_id}/risk``: lift a
suspension and reset the score (after an investigation cleared the actor).
Key ids only: the raw key is never accepted here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiohttp import web

from middleware.throttle._backend import BackendUnavailable

if TYPE_CHECKING:
    from middleware.throttle._addon import ThrottleAddon

__all__ = ["admin_routes"]


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def admin_routes(addon: ThrottleAddon) -> list[web.RouteDef]:
    """The throttle's admin routes, bound to ``addon``."""
    from middleware.identity import ANONYMOUS_KEY_ID, KEY_ID_PATTERN

    def key_id_of(request: web.Request) -> str:
        key_id = request.match_info["key_id"]
        if key_id != ANONYMOUS_KEY_ID and not KEY_ID_PATTERN.match(key_id):
            raise web.HTTPBadRequest(text="not a key id (k_ + 24 hex digits)")
        return key_id

    async def show(request: web.Request) -> web.Response:
        key_id = key_id_of(request)
        try:
            risk = await addon.backend.risk(key_id, addon.config.risk.half_life_s)
            susp = await addon.backend.suspension(key_id)
        except BackendUnavailable as exc:
            raise web.HTTPServiceUnavailable(text=str(exc)) from None
        return web.json_response(
            {
                "key_id": key_id,
                "backend": addon.backend.name,
                "risk": round(risk, 3),
                "half_life_s": addon.config.risk.half_life_s,
                "suspended_until": _iso(susp[0]) if susp else None,
                "reason": susp[1] if susp else None,
            }
        )

    async def forgive(request: web.Request) -> web.Response:
        key_id = key_id_of(request)
        try:
            changed = await addon.backend.forgive(key_id)
            changed = await addon.fallback.forgive(key_id) or changed
        except BackendUnavailable as exc:
            raise web.HTTPServiceUnavailable(text=str(exc)) from None
        return web.json_response({"key_id": key_id, "forgiven": changed})

    return [
        web.get("/throttle/keys/{key_id}", show),
        web.delete("/throttle/keys/{key_id}/risk", forgive),
    ]
