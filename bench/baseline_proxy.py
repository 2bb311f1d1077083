"""The yardstick: a minimal aiohttp reverse proxy with no screening at all.

Tollgate's pass-through cost is judged against this in the same run.
Usage: python bench/baseline_proxy.py PORT UPSTREAM_URL
"""

from __future__ import annotations

import sys

import aiohttp
from aiohttp import web

DROP = {"host", "content-length", "transfer-encoding", "connection", "content-encoding"}


async def make_app(upstream: str) -> web.Application:
    app = web.Application(client_max_size=8 * 1024 * 1024)
    session_key = web.AppKey("session", aiohttp.ClientSession)

    async def session_ctx(app: web.Application):  # type: ignore[no-untyped-def]
        app[session_key] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))
        yield
        await app[session_key].close()

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in DROP}
        async with app[session_key].request(
            request.method, upstream + request.path_qs, headers=headers, data=body
        ) as up:
            out = {k: v for k, v in up.headers.items() if k.lower() not in DROP}
            if up.headers.get("content-type", "").startswith("text/event-stream"):
                resp = web.StreamResponse(status=up.status, headers=out)
                await resp.prepare(request)
                async for chunk in up.content.iter_any():
                    await resp.write(chunk)
                await resp.write_eof()
                return resp
            return web.Response(status=up.status, body=await up.read(), headers=out)

    app.cleanup_ctx.append(session_ctx)
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


if __name__ == "__main__":
    port, upstream = int(sys.argv[1]), sys.argv[2].rstrip("/")
    web.run_app(make_app(upstream), host="127.0.0.1", port=port, print=None, access_log=None)
