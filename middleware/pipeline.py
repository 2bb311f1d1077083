"""The request lifecycle, framework-free: parse, run addons, forward, relay, settle.

:class:`Pipeline` works on plain values (:class:`ProxyRequest` in,
:class:`ProxyResponse` out) and an :class:`Upstream` to forward to, so it can be
embedded or tested without a socket; ``middleware.app`` is the aiohttp shell.
Use it as ``async with pipeline.exchange(request) as response:`` -- the
``done`` hooks (settle, release leases, record) run when the block exits,
however it exits.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog
from multidict import CIMultiDict, CIMultiDictProxy

from middleware._context import ProxyRequest, RequestContext, SseEvent
from middleware.adapters import AdapterError, AdapterRegistry, ParsedRequest
from middleware.addons import Addon, StreamStop
from middleware.errors import ApiError
from middleware.headers import request_headers_for_upstream, response_headers_for_client
from middleware.ids import new_id
from middleware.sse import SseParser

__all__ = ["Pipeline", "ProxyResponse", "Upstream", "UpstreamResponse"]

log = structlog.get_logger("tollgate.pipeline")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
UNSCREENED_HEADER = "x-tollgate-unscreened"


class UpstreamResponse(Protocol):
    """A response from the upstream whose body has not been read yet."""

    status: int
    headers: CIMultiDictProxy[str]

    async def read(self) -> bytes:
        """The whole body (bounded by the implementation)."""
        ...

    def iter_chunks(self) -> AsyncIterator[bytes]:
        """Body chunks as they arrive; raises ``ApiError`` on an idle timeout."""
        ...

    def close(self) -> None:
        """Release (or abort) the underlying connection."""
        ...


class Upstream(Protocol):
    """Where requests are forwarded; raises ``ApiError`` 502/504 on failure."""

    async def send(
        self, method: str, path_qs: str, headers: CIMultiDict[str], body: bytes
    ) -> UpstreamResponse:
        """Send a request and return once the response headers arrived."""
        ...


@dataclass(slots=True)
class ProxyResponse:
    """What to send the client: a complete ``body`` or a byte ``stream``."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream: AsyncGenerator[bytes, None] | None = None


def _json_response(status: int, payload: Any, headers: Mapping[str, str]) -> ProxyResponse:
    out = dict(headers)
    out["content-type"] = "application/json"
    return ProxyResponse(status=status, headers=out, body=json.dumps(payload).encode())


class Pipeline:
    """Runs one request through adapters, addons and the upstream.

    ``addons`` run in order for every hook. The pipeline itself holds no
    per-request state; it is safe to share across concurrent requests.
    """

    def __init__(
        self,
        *,
        adapters: AdapterRegistry,
        upstream: Upstream,
        addons: Sequence[Addon] = (),
        max_body_bytes: int = 4 * 1024 * 1024,
        passthrough_unknown: bool = False,
    ) -> None:
        self.adapters = adapters
        self.upstream = upstream
        self.addons = tuple(addons)
        self.max_body_bytes = max_body_bytes
        self.passthrough_unknown = passthrough_unknown
        self._response_hooks = tuple(
            a for a in self.addons if type(a).response is not Addon.response
        )
        self._stream_hooks = tuple(a for a in self.addons if a.wants_stream_events)

    @asynccontextmanager
    async def exchange(self, request: ProxyRequest) -> AsyncIterator[ProxyResponse]:
        """Handle ``request``; the response is valid inside the block only."""
        ctx = RequestContext(
            request=request,
            request_id=self._request_id(request),
            route="unknown",
        )
        upstream_resp: list[UpstreamResponse] = []
        try:
            try:
                response = await self._respond(ctx, upstream_resp)
            except ApiError as exc:
                response = self._error(ctx, exc)
            ctx.status = response.status
            response.headers.setdefault("x-request-id", ctx.request_id)
            yield response
        except BaseException as exc:
            # The client went away mid-stream, or the handler was cancelled.
            ctx.error = ctx.error or _describe_abort(exc)
            raise
        finally:
            for resp in upstream_resp:
                resp.close()
            ctx.timings.setdefault("total", time.perf_counter() - ctx.started)
            for addon in self.addons:
                try:
                    await addon.done(ctx)
                except Exception:
                    log.exception("addon_done_failed", addon=addon.name)

    # -- lifecycle -----------------------------------------------------------

    async def _respond(
        self, ctx: RequestContext, upstream_resp: list[UpstreamResponse]
    ) -> ProxyResponse:
        req = ctx.request
        if len(req.body) > self.max_body_bytes:
            raise ApiError(
                413,
                f"Request body is {len(req.body)} bytes; the limit is {self.max_body_bytes}.",
                code="request_too_large",
            )
        adapter = self.adapters.match(req.method, req.path)
        if adapter is None:
            if self.adapters.knows_path(req.path):
                raise ApiError(405, f"Method {req.method} is not allowed on {req.path}.")
            if not self.passthrough_unknown:
                raise ApiError(404, f"Unknown route {req.method} {req.path}.", code="unknown_route")
            ctx.route = "passthrough"
            ctx.response_headers[UNSCREENED_HEADER] = "true"
            ctx.upstream_headers = request_headers_for_upstream(req.headers, ctx.request_id)
            # No text to screen, but the caller is still identified and
            # throttled (gateway mode swaps the key here too).
            ctx.parsed = ParsedRequest(route="passthrough", model=None, stream=False, segments=())
            for addon in self.addons:
                await addon.request(ctx)
            return await self._forward(ctx, req.body, upstream_resp, screen=False)
        ctx.adapter = adapter
        ctx.route = adapter.name
        ctx.upstream_headers = request_headers_for_upstream(req.headers, ctx.request_id)
        original = self._decode(ctx) if req.method != "GET" else None
        ctx.body = original
        try:
            ctx.parsed = adapter.parse_request(original)
        except AdapterError as exc:
            raise ApiError(400, exc.message, param=exc.param) from None
        for addon in self.addons:
            await addon.request(ctx)
        body = req.body if ctx.body is original else json.dumps(ctx.body).encode()
        if ctx.body is not original:
            ctx.upstream_headers["content-type"] = "application/json"
        screen = adapter.screens_output and bool(self._response_hooks or self._stream_hooks)
        return await self._forward(ctx, body, upstream_resp, screen=screen)

    def _decode(self, ctx: RequestContext) -> Any:
        req = ctx.request
        ctype = req.headers.get("content-type", "application/json").split(";")[0].strip()
        if ctype.lower() not in ("application/json", ""):
            raise ApiError(
                415,
                f"Unsupported content type {ctype!r}; send application/json.",
                code="unsupported_media_type",
            )
        if not req.body.strip():
            raise ApiError(400, "Request body is empty; expected a JSON object.")
        try:
            body = json.loads(req.body)
        except UnicodeDecodeError:
            raise ApiError(400, "Request body is not valid UTF-8.") from None
        except json.JSONDecodeError as exc:
            raise ApiError(
                400,
                f"Request body is not valid JSON: {exc.msg} at line {exc.lineno} "
                f"column {exc.colno}.",
            ) from None
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be a JSON object.")
        return body

    async def _send(
        self, ctx: RequestContext, body: bytes, upstream_resp: list[UpstreamResponse]
    ) -> UpstreamResponse:
        req = ctx.request
        path_qs = req.path + (f"?{req.query_string}" if req.query_string else "")
        t0 = time.perf_counter()
        resp = await self.upstream.send(req.method, path_qs, ctx.upstream_headers, body)
        ctx.timings["upstream_headers"] = time.perf_counter() - t0
        upstream_resp.append(resp)
        ctx.upstream_status = resp.status
        return resp

    async def _forward(
        self,
        ctx: RequestContext,
        body: bytes,
        upstream_resp: list[UpstreamResponse],
        *,
        screen: bool,
    ) -> ProxyResponse:
        """Forward; relay errors and streams; screen a JSON body when ``screen``."""
        resp = await self._send(ctx, body, upstream_resp)
        headers = response_headers_for_client(resp.headers)
        headers.update(ctx.response_headers)
        if resp.status >= 400:
            ctx.decision = "upstream_error"
        if _is_event_stream(resp.headers):
            screened = self._screen_stream(ctx, resp) if screen and self._stream_hooks else None
            return ProxyResponse(resp.status, headers, stream=screened or self._relay(ctx, resp))
        data = await resp.read()
        ctx.timings["upstream"] = time.perf_counter() - ctx.started
        if not screen or resp.status >= 400:
            return ProxyResponse(resp.status, headers, body=data)
        try:
            original = json.loads(data)
        except ValueError:
            # Not JSON (or not what the adapter knows): nothing to screen.
            return ProxyResponse(resp.status, headers, body=data)
        out = original
        for addon in self._response_hooks:
            out = await addon.response(ctx, out)
        if out is original:
            return ProxyResponse(resp.status, headers, body=data)
        headers.pop("content-length", None)
        # Headers set by addons while screening the response must reach the client.
        headers.update(ctx.response_headers)
        return _json_response(resp.status, out, headers)

    async def _relay(
        self, ctx: RequestContext, resp: UpstreamResponse
    ) -> AsyncGenerator[bytes, None]:
        try:
            async for chunk in resp.iter_chunks():
                ctx.timings.setdefault("ttfb", time.perf_counter() - ctx.started)
                yield chunk
        except ApiError as exc:
            ctx.error = exc.code or "upstream_error"
            yield SseEvent(data=exc.body_bytes().decode()).encode()

    async def _screen_stream(
        self, ctx: RequestContext, resp: UpstreamResponse
    ) -> AsyncGenerator[bytes, None]:
        parser = SseParser()
        failure: ApiError | None = None
        out = bytearray()
        try:
            try:
                async for chunk in resp.iter_chunks():
                    if "ttfb_upstream" not in ctx.timings:
                        ctx.timings["ttfb_upstream"] = time.perf_counter() - ctx.started
                    events = parser.feed(chunk)
                    for k, event in enumerate(events, 1):
                        ctx.burst_more = k < len(events)
                        for ev in await self._through_stream_hooks(ctx, event, 0):
                            out += ev.encode()
                    ctx.burst_more = False
                    if out:
                        if "ttfb" not in ctx.timings:
                            ctx.timings["ttfb"] = time.perf_counter() - ctx.started
                        yield bytes(out)
                        out.clear()
                tail = parser.flush()
            except ApiError as exc:
                ctx.error = exc.code or "upstream_error"
                failure = exc
                tail = []
            except ValueError:
                ctx.error = "malformed_stream"
                failure = ApiError(
                    502,
                    "The upstream sent a malformed stream.",
                    type="upstream_error",
                    code="malformed_stream",
                )
                tail = []
            for event in tail:
                for ev in await self._through_stream_hooks(ctx, event, 0):
                    out += ev.encode()
            for i, addon in enumerate(self._stream_hooks):
                for ev in await addon.stream_end(ctx):
                    for final in await self._through_stream_hooks(ctx, ev, i + 1):
                        out += final.encode()
            if failure is not None:
                out += SseEvent(data=failure.body_bytes().decode()).encode()
        except StreamStop as stop:
            # An addon ended the stream (a mid-stream block): what was already
            # released goes out, then its final events; the exchange closes
            # the upstream, which cancels the generation.
            for ev in stop.events:
                out += ev.encode()
        if out:
            ctx.timings.setdefault("ttfb", time.perf_counter() - ctx.started)
            yield bytes(out)

    async def _through_stream_hooks(
        self, ctx: RequestContext, event: SseEvent, start: int
    ) -> list[SseEvent]:
        hooks = self._stream_hooks
        if start == 0 and len(hooks) == 1:  # the usual pipeline: one stream addon
            return await hooks[0].stream_event(ctx, event)
        events = [event]
        for addon in hooks[start:]:
            nxt: list[SseEvent] = []
            for ev in events:
                nxt.extend(await addon.stream_event(ctx, ev))
            events = nxt
        return events

    # -- helpers --------------------------------------------------------------

    def _error(self, ctx: RequestContext, exc: ApiError) -> ProxyResponse:
        if ctx.decision == "allow":
            ctx.decision = "error"
        ctx.error = ctx.error or exc.code or exc.type
        headers = dict(ctx.response_headers)
        headers.update(exc.headers)
        return _json_response(exc.status, exc.body(), headers)

    @staticmethod
    def _request_id(request: ProxyRequest) -> str:
        given = request.headers.get("x-request-id", "")
        return given if _REQUEST_ID.match(given) else new_id()


def _is_event_stream(headers: Mapping[str, str]) -> bool:
    return headers.get("content-type", "").startswith("text/event-stream")


def _describe_abort(exc: BaseException) -> str:
    if isinstance(exc, ConnectionError):
        return "client_disconnect"
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled"
    return type(exc).__name__
