"""Offline token counting with the vendored encodings."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from middleware.adapters import Segment
from middleware.throttle import TokenCounter, load_encoding
from middleware.throttle._config import TokenSettings


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a network connection fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_encodings_load_offline(no_network: None) -> None:
    load_encoding.cache_clear()
    cl100k = load_encoding("cl100k_base")
    o200k = load_encoding("o200k_base")
    # Reference ids published for tiktoken ("hello world").
    assert cl100k.encode_ordinary("hello world") == [15339, 1917]
    assert o200k.encode_ordinary("hello world") == [24912, 2375]


@pytest.mark.parametrize(
    ("model", "encoding", "exact"),
    [
        ("gpt-4o", "o200k_base", True),
        ("gpt-4o-mini-2024-07-18", "o200k_base", True),
        ("o3-mini", "o200k_base", True),
        ("gpt-4", "cl100k_base", True),
        ("gpt-3.5-turbo", "cl100k_base", True),
        ("muse-1", "o200k_base", False),
        (None, "o200k_base", False),
    ],
)
def test_model_to_encoding(model: str | None, encoding: str, exact: bool) -> None:
    assert TokenCounter(TokenSettings()).encoding_name(model) == (encoding, exact)


def test_fallback_encoding_is_configurable() -> None:
    counter = TokenCounter(TokenSettings(fallback_encoding="cl100k_base"))
    assert counter.encoding_name("llama-3") == ("cl100k_base", False)


def test_special_token_text_counts_as_text(no_network: None) -> None:
    counter = TokenCounter(TokenSettings())
    assert counter.count("<|endoftext|>", "gpt-4o") > 1


async def test_prompt_count_adds_chat_framing(no_network: None) -> None:
    counter = TokenCounter(TokenSettings())
    segs = [
        Segment("system", "You are terse.", 0, ("messages", 0, "content")),
        Segment("user", "hello world", 1, ("messages", 1, "content")),
    ]
    text_tokens = counter.count("You are terse.", "gpt-4o") + counter.count("hello world", "gpt-4o")
    assert await counter.count_prompt(segs, "gpt-4o") == text_tokens + 3 * 2 + 3


async def test_long_prompts_are_counted_off_loop(no_network: None) -> None:
    counter = TokenCounter(TokenSettings(offload_chars=10))
    text = "word " * 1000
    segs = [Segment("user", text, 0, ("messages", 0, "content"))]
    assert await counter.count_prompt(segs, "gpt-4o") == counter.count(text, "gpt-4o") + 3 + 3


async def test_empty_prompt_is_zero() -> None:
    assert await TokenCounter(TokenSettings()).count_prompt([], "gpt-4o") == 0


async def test_only_preloaded_encodings_load_at_start() -> None:
    counter = TokenCounter(TokenSettings())
    await counter.ensure_loaded()
    assert counter.loaded() == ["o200k_base"]
    segs = [Segment("user", "hello world", 0, ("messages", 0, "content"))]
    assert await counter.count_prompt(segs, "gpt-4") == 2 + 3 + 3
    assert counter.loaded() == ["cl100k_base", "o200k_base"]
