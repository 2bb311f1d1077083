"""Every bad input gets a 4xx in OpenAI's error JSON, never a 500."""

from __future__ import annotations

import json

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from tests.conftest import Running, StartTollgate, chat_body

URL = "/v1/chat/completions"


async def _send(
    http: aiohttp.ClientSession, url: str, data: bytes, ctype: str = "application/json"
) -> tuple[int, dict[str, object]]:
    async with http.post(url, data=data, headers={"content-type": ctype}) as resp:
        return resp.status, await resp.json()


def _assert_error_shape(body: dict[str, object]) -> dict[str, object]:
    error = body["error"]
    assert isinstance(error, dict)
    assert set(error) >= {"message", "type", "param", "code"}
    return error


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b'{"model": "m", "messages": [', "not valid JSON"),
        (b"\xff\xfe\x00", "not valid"),
        (b"[1, 2, 3]", "must be a JSON object"),
        (b'"just a string"', "must be a JSON object"),
        (b"", "empty"),
    ],
)
async def test_malformed_bodies_get_400(
    tollgate: Running, http: aiohttp.ClientSession, data: bytes, needle: str
) -> None:
    status, body = await _send(http, tollgate.url + URL, data)
    assert status == 400
    assert needle in str(_assert_error_shape(body)["message"])


async def test_wrong_field_type_names_the_param(
    tollgate: Running, http: aiohttp.ClientSession
) -> None:
    data = json.dumps({"model": "m", "messages": [{"role": "user", "content": 42}]}).encode()
    status, body = await _send(http, tollgate.url + URL, data)
    assert status == 400
    assert _assert_error_shape(body)["param"] == "messages[0].content"


async def test_unsupported_content_type_is_415(
    tollgate: Running, http: aiohttp.ClientSession
) -> None:
    status, body = await _send(
        http, tollgate.url + URL, b"model=m", "application/x-www-form-urlencoded"
    )
    assert status == 415
    assert "application/json" in str(_assert_error_shape(body)["message"])


async def test_oversized_body_is_413(
    upstream: TestServer, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    running = await start_tollgate(
        str(upstream.make_url("")).rstrip("/"),
        overrides={("server", "max_body_bytes"): 1024},
    )
    data = json.dumps(chat_body("x" * 5000)).encode()
    status, body = await _send(http, running.url + URL, data)
    assert status == 413
    assert "1024" in str(_assert_error_shape(body)["message"])


async def test_oversized_chunked_body_is_413(
    upstream: TestServer, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    running = await start_tollgate(
        str(upstream.make_url("")).rstrip("/"),
        overrides={("server", "max_body_bytes"): 1024},
    )

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"x" * 256

    async with http.post(
        running.url + URL, data=chunks(), headers={"content-type": "application/json"}
    ) as resp:
        assert resp.status == 413
        _assert_error_shape(await resp.json())


async def test_default_limit_accepts_a_large_legitimate_body(
    tollgate: Running, http: aiohttp.ClientSession
) -> None:
    data = json.dumps(chat_body("y" * 2_000_000)).encode()
    status, body = await _send(http, tollgate.url + URL, data)
    assert status == 200
    assert "choices" in body
