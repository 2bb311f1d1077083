"""Proxy behaviour over real HTTP on 127.0.0.1 against the demo upstream."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict

from middleware.app import build_addons
from middleware.config import load_config
from tests.conftest import Running, StartTollgate, chat_body

JSON = {"content-type": "application/json"}


async def _post(
    http: aiohttp.ClientSession, url: str, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, CIMultiDict[str], bytes]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with http.post(url, data=data, headers={**JSON, **(headers or {})}) as resp:
        return resp.status, CIMultiDict(resp.headers), await resp.read()


async def test_json_response_relayed_unchanged(
    tollgate: Running, upstream: TestServer, http: aiohttp.ClientSession
) -> None:
    body = chat_body("hi", mock={"reply": "exact reply ✓"})
    status, headers, raw = await _post(http, f"{tollgate.url}/v1/chat/completions", body)
    assert status == 200
    data = json.loads(raw)
    assert data["choices"][0]["message"]["content"] == "exact reply ✓"
    assert headers["Content-Type"].startswith("application/json")


async def test_stream_relayed_frame_by_frame(
    tollgate: Running, http: aiohttp.ClientSession
) -> None:
    body = chat_body("hi", stream=True, mock={"reply": "abcdefgh", "chunk_chars": 2})
    status, headers, raw = await _post(http, f"{tollgate.url}/v1/chat/completions", body)
    assert status == 200
    assert headers["Content-Type"].startswith("text/event-stream")
    frames = [line[6:] for line in raw.decode().split("\n") if line.startswith("data: ")]
    assert frames[-1] == "[DONE]"
    text = "".join(json.loads(f)["choices"][0]["delta"].get("content", "") for f in frames[:-1])
    assert text == "abcdefgh"


async def test_stream_chunks_arrive_before_stream_ends(
    tollgate: Running, http: aiohttp.ClientSession
) -> None:
    body = chat_body("hi", stream=True, mock={"reply": "x" * 40, "token_delay_ms": 100})
    url = f"{tollgate.url}/v1/chat/completions"
    async with http.post(url, json=body) as resp:
        first = await asyncio.wait_for(resp.content.readany(), timeout=2)
        # The upstream needs ~1 s for all frames: a first chunk now proves no buffering.
        assert first.startswith(b"data: ")
        assert b"[DONE]" not in first
        rest = await resp.read()
    assert b"[DONE]" in rest


async def test_request_id_generated_and_forwarded(
    tollgate: Running, http: aiohttp.ClientSession
) -> None:
    status, headers, _raw = await _post(http, f"{tollgate.url}/v1/chat/completions", chat_body())
    assert status == 200
    assert len(headers["x-request-id"]) == 32


def _echo_app() -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        return web.json_response(
            {"headers": {k.lower(): v for k, v in request.headers.items()}},
            headers={"Keep-Alive": "timeout=5", "X-Upstream": "yes"},
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


@pytest.fixture
async def echo_tollgate(start_tollgate: StartTollgate) -> AsyncIterator[Running]:
    """Tollgate in front of an upstream that echoes the headers it received."""
    echo = TestServer(_echo_app(), host="127.0.0.1")
    await echo.start_server()
    try:
        yield await start_tollgate(str(echo.make_url("")).rstrip("/"))
    finally:
        await echo.close()


async def test_request_id_kept_when_client_sends_one(
    echo_tollgate: Running, http: aiohttp.ClientSession
) -> None:
    _status, headers, raw = await _post(
        http,
        f"{echo_tollgate.url}/v1/chat/completions",
        chat_body(),
        {"x-request-id": "client-id-7", "Connection": "keep-alive, X-Hop", "X-Hop": "1"},
    )
    seen = json.loads(raw)["headers"]
    assert headers["x-request-id"] == "client-id-7"
    assert seen["x-request-id"] == "client-id-7"
    assert "x-hop" not in seen
    assert "x-hop" not in seen.get("connection", "").lower()


async def test_upstream_response_headers_relayed_minus_hop_by_hop(
    echo_tollgate: Running, http: aiohttp.ClientSession
) -> None:
    status, headers, _ = await _post(http, f"{echo_tollgate.url}/v1/chat/completions", chat_body())
    assert status == 200
    assert headers["X-Upstream"] == "yes"
    assert "Keep-Alive" not in headers


async def test_upstream_error_passed_through_with_status(
    tollgate: Running, http: aiohttp.ClientSession
) -> None:
    body = chat_body(mock={"status": 429, "error": "slow down"})
    status, _, raw = await _post(http, f"{tollgate.url}/v1/chat/completions", body)
    assert status == 429
    assert json.loads(raw)["error"]["message"] == "slow down"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_unreachable_upstream_is_502(
    start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    running = await start_tollgate(f"http://127.0.0.1:{_free_port()}")
    status, _, raw = await _post(http, f"{running.url}/v1/chat/completions", chat_body())
    assert status == 502
    error = json.loads(raw)["error"]
    assert error["code"] == "upstream_unreachable"
    assert set(error) >= {"message", "type", "param", "code"}


async def test_slow_upstream_is_504(
    upstream: TestServer, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    running = await start_tollgate(
        str(upstream.make_url("")).rstrip("/"),
        overrides={("upstream", "first_byte_timeout_s"): 0.2},
    )
    body = chat_body(mock={"delay_ms": 1500})
    status, _, raw = await _post(http, f"{running.url}/v1/chat/completions", body)
    assert status == 504
    assert json.loads(raw)["error"]["code"] == "upstream_timeout"


async def test_idle_stream_ends_with_error_frame(
    upstream: TestServer, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    running = await start_tollgate(
        str(upstream.make_url("")).rstrip("/"),
        overrides={("upstream", "idle_timeout_s"): 0.2},
    )
    body = chat_body(stream=True, mock={"reply": "abcdefgh", "token_delay_ms": 800})
    status, _, raw = await _post(http, f"{running.url}/v1/chat/completions", body)
    assert status == 200
    frames = [line[6:] for line in raw.decode().split("\n") if line.startswith("data: ")]
    assert json.loads(frames[-1])["error"]["code"] == "upstream_timeout"


async def test_upstream_dying_mid_stream_ends_with_error_frame(
    tollgate: Running, http: aiohttp.ClientSession
) -> None:
    body = chat_body(stream=True, mock={"reply": "abcdefgh", "die_after_frames": 2})
    status, _, raw = await _post(http, f"{tollgate.url}/v1/chat/completions", body)
    assert status == 200
    frames = [line[6:] for line in raw.decode().split("\n") if line.startswith("data: ")]
    # The role frame, then (text still held back by screening is dropped) the error.
    assert json.loads(frames[0])["choices"][0]["delta"]["role"] == "assistant"
    assert json.loads(frames[-1])["error"]["type"] == "upstream_error"
    assert "[DONE]" not in frames


async def test_client_disconnect_cancels_upstream(
    start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    gone = asyncio.Event()

    async def endless(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        try:
            for _ in range(400):
                await resp.write(b'data: {"choices": []}\n\n')
                await asyncio.sleep(0.025)
        except (ConnectionError, asyncio.CancelledError):
            gone.set()
            raise
        return resp

    app = web.Application()
    app.router.add_post("/v1/chat/completions", endless)
    server = TestServer(app, host="127.0.0.1", handler_cancellation=True)
    await server.start_server()
    try:
        running = await start_tollgate(str(server.make_url("")).rstrip("/"))
        resp = await http.post(f"{running.url}/v1/chat/completions", json=chat_body(stream=True))
        await resp.content.readany()
        resp.close()
        await asyncio.wait_for(gone.wait(), timeout=5)
        assert gone.is_set()
    finally:
        await server.close()


async def test_models_listing_passed_through(
    tollgate: Running, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{tollgate.url}/v1/models") as resp:
        assert resp.status == 200
        ids = [m["id"] for m in (await resp.json())["data"]]
    assert "demo-chat" in ids
    async with http.get(f"{tollgate.url}/v1/models/demo-chat") as resp:
        assert (await resp.json())["id"] == "demo-chat"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/completions", {"model": "demo-chat", "prompt": "say hi"}),
        ("/v1/embeddings", {"model": "demo-embed", "input": "embed me"}),
        (
            "/v1/muse/completions",
            {
                "model": "demo-reasoner",
                "messages": [{"role": "user", "content": "think"}],
                "reasoning_budget": "high",
            },
        ),
    ],
)
async def test_other_routes_are_forwarded(
    tollgate: Running, http: aiohttp.ClientSession, path: str, body: dict[str, Any]
) -> None:
    status, _, raw = await _post(http, f"{tollgate.url}{path}", body)
    assert status == 200
    assert json.loads(raw)["model"] == body["model"]


async def test_unknown_route_refused_by_default(
    tollgate: Running, http: aiohttp.ClientSession
) -> None:
    status, _, raw = await _post(http, f"{tollgate.url}/v1/files", {"x": 1})
    assert status == 404
    assert json.loads(raw)["error"]["code"] == "unknown_route"


async def test_unknown_route_passthrough_when_configured(
    upstream: TestServer, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    running = await start_tollgate(
        str(upstream.make_url("")).rstrip("/"),
        overrides={("routes", "passthrough_unknown"): True},
    )
    async with http.get(f"{running.url}/echo/anything?q=1") as resp:
        assert resp.status == 200
        assert resp.headers["x-tollgate-unscreened"] == "true"
        assert (await resp.json())["path"] == "/echo/anything?q=1"


async def test_wrong_method_on_known_route_is_405(
    tollgate: Running, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{tollgate.url}/v1/chat/completions") as resp:
        assert resp.status == 405
        assert "error" in await resp.json()


async def test_passthrough_routes_are_identified_and_use_the_gateway_key(
    upstream: TestServer,
    start_tollgate: StartTollgate,
    http: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TG_TEST_UPSTREAM_KEY", "sk-upstream-only")
    url = str(upstream.make_url("")).rstrip("/")
    overrides: dict[tuple[str, ...], Any] = {
        ("upstream", "url"): url,
        ("routes", "passthrough_unknown"): True,
        ("identity", "mode"): "gateway",
        ("identity", "secret"): "s" * 32,
        ("identity", "upstream_key_env"): "TG_TEST_UPSTREAM_KEY",
    }
    addons = build_addons(load_config(None, environ={}, overrides=overrides))
    running = await start_tollgate(url, overrides=overrides, addons=addons)
    async with http.post(
        f"{running.url}/echo/files",
        data=b"x",
        headers={"Authorization": "Bearer sk-client-virtual"},
    ) as resp:
        assert resp.status == 200
        seen = (await resp.json())["headers"]
    assert seen["Authorization"] == "Bearer sk-upstream-only"
    assert "sk-client-virtual" not in str(seen)


async def test_server_header_does_not_reveal_versions(
    tollgate: Running, http: aiohttp.ClientSession
) -> None:
    for url in (f"{tollgate.url}/v1/models", f"{tollgate.admin_url}/healthz"):
        async with http.get(url) as resp:
            assert resp.headers["Server"] == "tollgate"
