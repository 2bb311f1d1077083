"""The admin application: health, readiness, metrics and addon endpoints.

Served on its own port, bound to loopback by default: it exposes operational
state and control (policy reload), never to be reachable by API clients.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from aiohttp import web

from middleware import metrics
from middleware.app import STATE, server_header

__all__ = ["HasAdminRoutes", "create_admin_app"]


@runtime_checkable
class HasAdminRoutes(Protocol):
    """An addon that serves admin endpoints."""

    def admin_routes(self) -> list[web.RouteDef]:
        """Routes to mount on the admin app."""
        ...


async def _healthz(request: web.Request) -> web.Response:
    """Liveness: the process is up and its event loop answers."""
    return web.json_response({"status": "ok"})


async def _readyz(request: web.Request) -> web.Response:
    """Readiness: everything is loaded and warmed, and no addon reports a problem."""
    state = request.app[STATE]
    checks: dict[str, Any] = {}
    ok = state.ready and not state.draining
    for addon in state.addons:
        detail = addon.health()
        checks[addon.name] = detail
        ok = ok and bool(detail.get("ok", True))
    body = {
        "status": "ready" if ok else "not_ready",
        "draining": state.draining,
        "started": state.ready,
        "checks": checks,
    }
    return web.json_response(body, status=200 if ok else 503)


async def _metrics(request: web.Request) -> web.Response:
    """Prometheus exposition (all worker processes in multiprocess mode)."""
    body, content_type = metrics.exposition()
    resp = web.Response(body=body)
    resp.headers["Content-Type"] = content_type
    return resp


def create_admin_app(proxy_app: web.Application) -> web.Application:
    """The admin app sharing ``proxy_app``'s lifecycle state and addons."""
    admin = web.Application()
    state = proxy_app[STATE]
    admin[STATE] = state
    admin.on_response_prepare.append(server_header)
    admin.router.add_get("/healthz", _healthz)
    admin.router.add_get("/readyz", _readyz)
    admin.router.add_get("/metrics", _metrics)
    for addon in state.addons:
        if isinstance(addon, HasAdminRoutes):
            admin.router.add_routes(addon.admin_routes())
    return admin
