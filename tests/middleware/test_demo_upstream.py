"""The demo upstream's streaming options: character chunks and real BPE tokens."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from middleware.demo_upstream import token_pieces
from middleware.throttle._tokens import load_encoding

PROSE = (
    "The harbour was quiet in the early morning, and the fishing boats rocked gently "
    "against the pier while gulls circled above the lighthouse. It's 5:45 -- 1,234 nets!"
)


async def _content_frames(upstream: TestServer, mock: dict[str, Any]) -> list[str]:
    body = {
        "model": "demo-chat",
        "stream": True,
        "messages": [{"role": "user", "content": "hi"}],
        "mock": mock,
    }
    pieces: list[str] = []
    async with (
        aiohttp.ClientSession() as http,
        http.post(str(upstream.make_url("/v1/chat/completions")), json=body) as resp,
    ):
        assert resp.status == 200
        raw = (await resp.read()).decode()
    events = [e.removeprefix("data: ") for e in raw.split("\n\n") if e]
    assert events[-1] == "[DONE]"
    for data in events[:-1]:
        for choice in json.loads(data)["choices"]:
            content = choice["delta"].get("content")
            if content:
                pieces.append(content)
    return pieces


def test_token_pieces_are_the_bpe_tokens_of_ascii_text() -> None:
    pieces = token_pieces(PROSE)
    assert "".join(pieces) == PROSE
    assert len(pieces) == len(load_encoding("cl100k_base").encode_ordinary(PROSE))
    assert all(pieces)


def test_token_pieces_keep_multibyte_characters_whole() -> None:
    text = "Grüße aus 東京 🙂 — naïve café"
    pieces = token_pieces(text)
    assert "".join(pieces) == text
    assert "\ufffd" not in "".join(pieces)
    assert len(pieces) <= len(load_encoding("cl100k_base").encode_ordinary(text))


async def test_stream_one_token_per_frame(upstream: TestServer) -> None:
    frames = await _content_frames(
        upstream, {"reply": PROSE, "chunk_by": "tokens", "tokens_per_s": 2000}
    )
    assert "".join(frames) == PROSE
    assert len(frames) == len(load_encoding("cl100k_base").encode_ordinary(PROSE))
    assert tuple(frames) == token_pieces(PROSE)


async def test_stream_character_chunks_remain_the_default(upstream: TestServer) -> None:
    frames = await _content_frames(upstream, {"reply": PROSE, "chunk_chars": 7})
    assert "".join(frames) == PROSE
    assert all(len(f) == 7 for f in frames[:-1])
    assert len(frames) == -(-len(PROSE) // 7)


async def test_paced_reasoning_and_tool_arguments_arrive_whole(upstream: TestServer) -> None:
    body = {
        "model": "demo-reasoner",
        "stream": True,
        "messages": [{"role": "user", "content": "hi"}],
        "mock": {
            "reply": "Done.",
            "reasoning": "First I think, then I answer.",
            "tool_arguments": '{"city": "Oslo"}',
            "chunk_by": "tokens",
            "tokens_per_s": 5000,
        },
    }
    reasoning, args = "", ""
    async with (
        aiohttp.ClientSession() as http,
        http.post(str(upstream.make_url("/v1/chat/completions")), json=body) as resp,
    ):
        raw = (await resp.read()).decode()
    for event in raw.split("\n\n"):
        data = event.removeprefix("data: ")
        if not data.startswith("{"):
            continue
        for choice in json.loads(data)["choices"]:
            delta = choice["delta"]
            reasoning += delta.get("reasoning_content", "")
            for call in delta.get("tool_calls", []):
                args += call["function"]["arguments"]
    assert reasoning == "First I think, then I answer."
    assert args == '{"city": "Oslo"}'
