"""The official openai client, pointed at Tollgate, sees a normal API."""

from __future__ import annotations

import openai
import pytest

from tests.conftest import Running


def _client(tollgate: Running) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=f"{tollgate.url}/v1", api_key="sk-test", max_retries=0)


async def test_chat_completion(tollgate: Running) -> None:
    client = _client(tollgate)
    completion = await client.chat.completions.create(
        model="demo-chat",
        messages=[{"role": "user", "content": "hello"}],
        extra_body={"mock": {"reply": "hi from the mock"}},
    )
    assert completion.choices[0].message.content == "hi from the mock"
    assert completion.usage is not None
    assert completion.usage.total_tokens > 0
    await client.close()


async def test_streamed_chat_completion_iterated_to_the_end(tollgate: Running) -> None:
    client = _client(tollgate)
    stream = await client.chat.completions.create(
        model="demo-chat",
        messages=[{"role": "user", "content": "hello"}],
        stream=True,
        extra_body={"mock": {"reply": "one two three four", "chunk_chars": 3}},
    )
    pieces: list[str] = []
    finish = None
    async for chunk in stream:
        if chunk.choices:
            pieces.append(chunk.choices[0].delta.content or "")
            finish = chunk.choices[0].finish_reason or finish
    assert "".join(pieces) == "one two three four"
    assert finish == "stop"
    await client.close()


async def test_upstream_error_surfaces_as_client_exception(tollgate: Running) -> None:
    client = _client(tollgate)
    with pytest.raises(openai.RateLimitError) as info:
        await client.chat.completions.create(
            model="demo-chat",
            messages=[{"role": "user", "content": "hello"}],
            extra_body={"mock": {"status": 429, "error": "too many"}},
        )
    assert info.value.status_code == 429
    await client.close()


async def test_tollgate_validation_error_is_bad_request(tollgate: Running) -> None:
    client = _client(tollgate)
    with pytest.raises(openai.BadRequestError) as info:
        await client.chat.completions.create(
            model="demo-chat",
            messages=[{"role": "wizard", "content": "hello"}],  # type: ignore[misc,list-item]
        )
    assert info.value.param == "messages[0].role"
    await client.close()


async def test_models_list(tollgate: Running) -> None:
    client = _client(tollgate)
    models = [m.id async for m in client.models.list()]
    assert "demo-chat" in models
    await client.close()


async def test_mid_stream_upstream_failure_raises(tollgate: Running) -> None:
    client = _client(tollgate)
    stream = await client.chat.completions.create(
        model="demo-chat",
        messages=[{"role": "user", "content": "hello"}],
        stream=True,
        extra_body={"mock": {"reply": "abcdefghijkl", "die_after_frames": 2}},
    )
    with pytest.raises(openai.APIError):
        async for _ in stream:
            pass
    await client.close()
