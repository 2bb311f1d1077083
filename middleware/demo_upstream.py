"""A small OpenAI-compatible fake model: the demo upstream and the tests' mock.

It serves chat completions, legacy completions, the reasoning ("muse")
completions, embeddings and the model list, JSON and SSE. By default it
answers with a short canned reply. Tests steer it through an optional
``"mock"`` object in the request body (ignored by real APIs' clients, sent
with the openai client's ``extra_body``):

``reply``/``reasoning``/``tool_arguments`` (texts to return), ``status`` and
``error`` (answer with an error), ``delay_ms`` (before the headers),
``chunk_chars`` (characters per streamed frame, default 4), ``chunk_by``
(``"chars"``, the default, or ``"tokens"``: one real cl100k BPE token per
frame, see :func:`token_pieces`), ``token_delay_ms`` (a sleep after every
frame), ``tokens_per_s`` (pace the text frames on a fixed schedule: the
first at once, the k-th k/rate seconds after it, without drift; the frames
around the text follow without waiting), ``die_after_frames`` (drop the
connection mid-stream), ``raw_frames`` (send these SSE data payloads
verbatim; ``tokens_per_s`` then paces every one of them),
``frames_per_write`` (write this many frames at a time, so the proxy reads
bursts of frames; default 1).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import time
import uuid
from typing import Any

from aiohttp import web

__all__ = ["create_demo_app", "main", "token_pieces"]

DEFAULT_REPLY = (
    "Hello! This is Tollgate's demo upstream, a stand-in for a real model. "
    "Your request passed through Tollgate's screening and reached me intact."
)
MODELS = ("demo-chat", "demo-reasoner", "demo-embed")


def _tokens(text: str) -> int:
    return max(1, len(text) // 4) if text else 0


def _mock(body: Any) -> dict[str, Any]:
    mock = body.get("mock") if isinstance(body, dict) else None
    return mock if isinstance(mock, dict) else {}


def _prompt_text(body: dict[str, Any]) -> str:
    parts: list[str] = []
    for msg in body.get("messages") or []:
        content = msg.get("content") if isinstance(msg, dict) else None
        if isinstance(content, str):
            parts.append(content)
    prompt = body.get("prompt")
    if isinstance(prompt, str):
        parts.append(prompt)
    return "\n".join(parts)


def _chunks(text: str, size: int) -> list[str]:
    if size <= 0:
        return [text] if text else []
    return [text[i : i + size] for i in range(0, len(text), size)]


@functools.lru_cache(maxsize=64)
def token_pieces(text: str) -> tuple[str, ...]:
    """``text`` cut at its cl100k BPE token boundaries: one piece per token.

    The pieces concatenate to ``text``. A token that ends inside a multi-byte
    UTF-8 character is joined with the tokens that complete the character, so
    every piece is valid text: for ASCII text there is exactly one piece per
    token. Uses Tollgate's vendored encoding (offline; the first call loads
    it, ~0.3 s).
    """
    from middleware.throttle._tokens import load_encoding

    enc = load_encoding("cl100k_base")
    pieces: list[str] = []
    pending = b""
    for token in enc.encode_ordinary(text):
        pending += enc.decode_single_token_bytes(token)
        try:
            pieces.append(pending.decode("utf-8"))
        except UnicodeDecodeError:
            continue
        pending = b""
    if pending:
        pieces.append(pending.decode("utf-8", "replace"))
    return tuple(pieces)


async def _read_json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise web.HTTPBadRequest(
            text=json.dumps({"error": {"message": "bad json", "type": "invalid_request_error"}}),
            content_type="application/json",
        ) from None
    return body if isinstance(body, dict) else {}


def _usage(prompt: str, reply: str, reasoning: str) -> dict[str, Any]:
    p, c, r = _tokens(prompt), _tokens(reply), _tokens(reasoning)
    usage: dict[str, Any] = {
        "prompt_tokens": p,
        "completion_tokens": c + r,
        "total_tokens": p + c + r,
    }
    if reasoning:
        usage["completion_tokens_details"] = {"reasoning_tokens": r}
        usage["reasoning_tokens"] = r
    return usage


async def _completion(request: web.Request) -> web.StreamResponse:
    body = await _read_json(request)
    mock = _mock(body)
    route = request.path
    if mock.get("delay_ms"):
        await asyncio.sleep(float(mock["delay_ms"]) / 1000)
    if mock.get("status"):
        err = {
            "message": mock.get("error", "mock upstream error"),
            "type": "server_error",
            "param": None,
            "code": "mock_error",
        }
        return web.json_response({"error": err}, status=int(mock["status"]))
    reply = str(mock.get("reply", DEFAULT_REPLY))
    reasoning = str(mock.get("reasoning", ""))
    tool_args = mock.get("tool_arguments")
    model = str(body.get("model", "demo-chat"))
    created = int(time.time())
    ident = f"cmpl-{uuid.uuid4().hex[:12]}"
    legacy = route == "/v1/completions"
    rkey = "reasoning" if route == "/v1/muse/completions" else "reasoning_content"
    usage = _usage(_prompt_text(body), reply, reasoning)
    if not body.get("stream"):
        if legacy:
            choice: dict[str, Any] = {"index": 0, "text": reply, "finish_reason": "stop"}
            obj = "text_completion"
        else:
            message: dict[str, Any] = {"role": "assistant", "content": reply}
            if reasoning:
                message[rkey] = reasoning
            if tool_args is not None:
                message["tool_calls"] = [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "tool", "arguments": tool_args},
                    }
                ]
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            obj = "chat.completion"
        return web.json_response(
            {
                "id": ident,
                "object": obj,
                "created": created,
                "model": model,
                "choices": [choice],
                "usage": usage,
            }
        )
    resp = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await resp.prepare(request)
    size = int(mock.get("chunk_chars", 4))
    by_tokens = mock.get("chunk_by") == "tokens"
    if by_tokens:
        # Load the encoding off the event loop (once per process).
        await asyncio.to_thread(token_pieces, reply)
    delay = float(mock.get("token_delay_ms", 0)) / 1000
    rate = float(mock.get("tokens_per_s") or 0)
    die_after = mock.get("die_after_frames")
    frames: list[str] = [str(f) for f in mock.get("raw_frames", [])]
    paced: set[int] = set(range(len(frames)))  # indices of frames that carry text

    def cut(text: str) -> list[str]:
        return list(token_pieces(text)) if by_tokens and text else _chunks(text, size)

    def text_frame(data: str) -> None:
        paced.add(len(frames))
        frames.append(data)

    if not frames:
        obj = "text_completion" if legacy else "chat.completion.chunk"

        def frame(
            delta: dict[str, Any] | None, text: str | None = None, finish: str | None = None
        ) -> str:
            ch: dict[str, Any] = {"index": 0, "finish_reason": finish}
            if legacy:
                ch["text"] = text or ""
            else:
                ch["delta"] = delta or {}
            return json.dumps(
                {"id": ident, "object": obj, "created": created, "model": model, "choices": [ch]}
            )

        if not legacy:
            frames.append(frame({"role": "assistant", "content": ""}))
        for piece in cut(reasoning):
            text_frame(frame({rkey: piece}))
        for piece in cut(reply):
            text_frame(frame({"content": piece}, piece))
        if tool_args is not None and not legacy:
            for k, piece in enumerate(cut(str(tool_args))):
                call: dict[str, Any] = {"index": 0, "function": {"arguments": piece}}
                if k == 0:
                    call.update(id="call_1", type="function")
                    call["function"]["name"] = "tool"
                text_frame(frame({"tool_calls": [call]}))
        frames.append(frame({}, "", "stop"))
        opts = body.get("stream_options")
        if isinstance(opts, dict) and opts.get("include_usage"):
            frames.append(
                json.dumps(
                    {
                        "id": ident,
                        "object": obj,
                        "created": created,
                        "model": model,
                        "choices": [],
                        "usage": usage,
                    }
                )
            )
        frames.append("[DONE]")
    loop = asyncio.get_running_loop()
    start: float | None = None
    sent = 0  # text frames written so far
    burst = max(1, int(mock.get("frames_per_write", 1)))
    queued = bytearray()  # frames not yet written (frames_per_write > 1)
    for n, data in enumerate(frames):
        if die_after is not None and n >= int(die_after):
            if queued:
                await resp.write(bytes(queued))
            assert request.transport is not None
            request.transport.close()
            return resp
        if rate and n in paced:
            if start is None:
                start = loop.time()
            wait = start + sent / rate - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            sent += 1
        queued += f"data: {data}\n\n".encode()
        if n % burst == burst - 1 or n == len(frames) - 1:
            await resp.write(bytes(queued))
            queued.clear()
        if delay:
            await asyncio.sleep(delay)
    await resp.write_eof()
    return resp


async def _embeddings(request: web.Request) -> web.Response:
    body = await _read_json(request)
    value = body.get("input")
    items = value if isinstance(value, list) else [value]
    data = [
        {"object": "embedding", "index": i, "embedding": [0.0, 0.1, 0.2, 0.3]}
        for i in range(len(items))
    ]
    return web.json_response(
        {
            "object": "list",
            "data": data,
            "model": body.get("model"),
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
        }
    )


async def _models(request: web.Request) -> web.Response:
    data = [{"id": m, "object": "model", "created": 0, "owned_by": "tollgate-demo"} for m in MODELS]
    if "model" in request.match_info:
        found = [m for m in data if m["id"] == request.match_info["model"]]
        if not found:
            return web.json_response(
                {
                    "error": {
                        "message": "no such model",
                        "type": "invalid_request_error",
                        "param": "model",
                        "code": "model_not_found",
                    }
                },
                status=404,
            )
        return web.json_response(found[0])
    return web.json_response({"object": "list", "data": data})


async def _echo_headers(request: web.Request) -> web.Response:
    """Test aid: the headers and body the upstream received."""
    raw = await request.read()
    return web.json_response(
        {
            "headers": dict(request.headers),
            "body": raw.decode("utf-8", "replace"),
            "path": request.path_qs,
        }
    )


def create_demo_app() -> web.Application:
    """The fake upstream's application."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/chat/completions", _completion)
    app.router.add_post("/v1/completions", _completion)
    app.router.add_post("/v1/muse/completions", _completion)
    app.router.add_post("/v1/embeddings", _embeddings)
    app.router.add_get("/v1/models", _models)
    app.router.add_get("/v1/models/{model}", _models)
    app.router.add_route("*", "/echo/{tail:.*}", _echo_headers)
    return app


def main(argv: list[str] | None = None) -> int:
    """``tollgate demo-upstream``: serve the fake model."""
    parser = argparse.ArgumentParser(prog="tollgate demo-upstream")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args(argv)
    web.run_app(create_demo_app(), host=args.host, port=args.port, print=None, access_log=None)
    return 0
