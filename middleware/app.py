"""The aiohttp shell: builds the proxy and admin applications and serves them.

``create_app`` wires configuration, adapters, addons and the upstream into a
:class:`~middleware.pipeline.Pipeline` and exposes it as one catch-all
handler. Start-up and shutdown of shared resources live in ``cleanup_ctx``;
shared objects are reached through typed ``AppKey``s.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from middleware import metrics
from middleware._context import ProxyRequest
from middleware.access import AccessAddon
from middleware.adapters import default_adapters
from middleware.addons import Addon
from middleware.audit import AuditAddon
from middleware.config import Config
from middleware.errors import ApiError
from middleware.identity import IdentityAddon
from middleware.looplag import watch_loop_lag
from middleware.pipeline import Pipeline
from middleware.policy import policy_addons
from middleware.proxy import AiohttpUpstream
from middleware.throttle import ThrottleAddon

__all__ = [
    "CONFIG",
    "PIPELINE",
    "STATE",
    "AppState",
    "build_addons",
    "create_app",
    "serve",
    "server_header",
]

log = structlog.get_logger("tollgate.app")


@dataclass(slots=True)
class AppState:
    """Process-wide lifecycle state shared by the proxy and admin apps."""

    config: Config
    addons: tuple[Addon, ...]
    ready: bool = False
    draining: bool = False
    startup_error: str | None = None
    pipeline: Pipeline | None = field(default=None)


CONFIG = web.AppKey("config", Config)
STATE = web.AppKey("state", AppState)
PIPELINE = web.AppKey("pipeline", Pipeline)


def build_addons(config: Config) -> list[Addon]:
    """The addons for ``config``, in lifecycle order.

    Order matters: access accounting first (it must see every request),
    then identity, throttle (admission), policy (input/output screening).
    """
    addons: list[Addon] = [AccessAddon(log_requests=config.logging.access_log)]
    addons.append(IdentityAddon.from_config(config))
    addons.append(ThrottleAddon.from_config(config))
    addons.extend(policy_addons(config))
    addons.append(AuditAddon.from_config(config))  # last: its done() sees every final state
    return addons


async def _read_body(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(
            413,
            f"Request body is {request.content_length} bytes; the limit is {limit}.",
            code="request_too_large",
        )
    buf = bytearray()
    while chunk := await request.content.readany():
        buf += chunk
        if len(buf) > limit:
            raise ApiError(
                413, f"Request body exceeds the limit of {limit} bytes.", code="request_too_large"
            )
    return bytes(buf)


def _error_response(exc: ApiError) -> web.Response:
    return web.Response(
        status=exc.status,
        body=exc.body_bytes(),
        content_type="application/json",
        headers=exc.headers,
    )


async def _handle(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    pipeline = request.app[PIPELINE]
    if state.draining:
        return _error_response(
            ApiError(503, "Tollgate is shutting down.", type="server_error", code="draining")
        )
    try:
        body = await _read_body(request, pipeline.max_body_bytes)
    except ApiError as exc:
        return _error_response(exc)
    preq = ProxyRequest(
        method=request.method,
        path=request.path,
        query_string=request.query_string,
        headers=request.headers,
        body=body,
        remote=request.remote,
    )
    async with pipeline.exchange(preq) as presp:
        if presp.stream is None:
            # Send before leaving the block: the ``done`` hooks (settle, audit)
            # then run after the client has its answer, not before.
            full = web.Response(status=presp.status, body=presp.body, headers=presp.headers)
            await full.prepare(request)
            await full.write_eof()
            return full
        resp = web.StreamResponse(status=presp.status, headers=presp.headers)
        try:
            await resp.prepare(request)
            async for chunk in presp.stream:
                await resp.write(chunk)
            await resp.write_eof()
        finally:
            await presp.stream.aclose()
        return resp


@web.middleware
async def _no_tracebacks(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A bug must not leak a traceback: log it, answer 500 in the API's format."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except web.HTTPException:
        raise
    except (ConnectionResetError, asyncio.CancelledError):
        raise
    except Exception:
        log.exception("unhandled_error", path=request.path)
        return _error_response(
            ApiError(500, "Internal error in Tollgate.", type="server_error", code="internal")
        )


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    state = app[STATE]
    config = app[CONFIG]
    upstream = AiohttpUpstream(config.upstream)
    app[PIPELINE] = Pipeline(
        adapters=default_adapters(config.routes.disabled),
        upstream=upstream,
        addons=state.addons,
        max_body_bytes=config.server.max_body_bytes,
        passthrough_unknown=config.routes.passthrough_unknown,
    )
    state.pipeline = app[PIPELINE]
    started: list[Addon] = []
    try:
        for addon in state.addons:
            await addon.startup()
            started.append(addon)
        state.ready = True
        log.info("ready", upstream=config.upstream.url, addons=[a.name for a in state.addons])
        yield
    finally:
        state.ready = False
        for addon in reversed(started):
            try:
                await addon.shutdown()
            except Exception:
                log.exception("addon_shutdown_failed", addon=addon.name)
        await upstream.close()


async def _loop_lag(app: web.Application) -> AsyncIterator[None]:
    """Sample the event loop's lag for the app's lifetime (see :mod:`middleware.looplag`)."""
    task = asyncio.get_running_loop().create_task(
        watch_loop_lag(metrics.EVENT_LOOP_LAG.observe), name="loop-lag"
    )
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def server_header(request: web.Request, response: web.StreamResponse) -> None:
    """Name Tollgate, not the Python and aiohttp versions (no fingerprinting aid)."""
    response.headers["Server"] = "tollgate"


def create_app(config: Config, *, addons: Sequence[Addon] | None = None) -> web.Application:
    """The proxy application for ``config`` (addons default to ``build_addons``)."""
    app = web.Application(
        middlewares=[_no_tracebacks], client_max_size=config.server.max_body_bytes
    )
    app[CONFIG] = config
    app[STATE] = AppState(
        config=config, addons=tuple(build_addons(config) if addons is None else addons)
    )
    app.cleanup_ctx.append(_lifecycle)
    app.cleanup_ctx.append(_loop_lag)
    app.on_response_prepare.append(server_header)
    app.router.add_route("*", "/{tail:.*}", _handle)
    return app


async def serve(config: Config, *, stop: asyncio.Event | None = None) -> None:
    """Serve the proxy and admin apps until SIGTERM/SIGINT (or ``stop`` is set).

    Shutdown: readiness turns false, the listener closes, in-flight requests
    and streams get ``server.shutdown_grace_s`` to finish, then the rest is
    cancelled and resources are released. SIGHUP reloads the addons.
    """
    from middleware.admin import create_admin_app

    app = create_app(config)
    admin = create_admin_app(app)
    runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
    admin_runner = web.AppRunner(admin, access_log=None)
    await runner.setup()
    await admin_runner.setup()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    reloads: set[asyncio.Task[None]] = set()

    def _reload() -> None:
        task = loop.create_task(_reload_addons(app[STATE]))
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, _reload)
    try:
        server = config.server
        await web.TCPSite(
            admin_runner, server.admin_host, server.admin_port, shutdown_timeout=1.0
        ).start()
        await web.TCPSite(
            runner, server.host, server.port, shutdown_timeout=server.shutdown_grace_s
        ).start()
        log.info("listening", port=server.port, admin_port=server.admin_port)
        await stop.wait()
        log.info("shutting_down", grace_s=server.shutdown_grace_s)
        app[STATE].draining = True
        app[STATE].ready = False
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        await runner.cleanup()
        await admin_runner.cleanup()
        for task in list(reloads):
            task.cancel()
        metrics.process_exited()
        log.info("stopped")


async def _reload_addons(state: AppState) -> None:
    for addon in state.addons:
        try:
            await addon.reload()
        except Exception:
            log.exception("addon_reload_failed", addon=addon.name)
