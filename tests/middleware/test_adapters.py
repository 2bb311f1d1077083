from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from middleware.adapters import (
    AdapterError,
    EmbeddingsAdapter,
    LegacyCompletionsAdapter,
    MuseCompletionsAdapter,
    OpenAIChatAdapter,
    default_adapters,
)

CHAT = OpenAIChatAdapter()


def test_chat_extracts_one_segment_per_message() -> None:
    body = {
        "model": "m",
        "messages": [
            {"role": "system", "content": "be nice"},
            {"role": "user", "content": "hi there"},
        ],
    }
    parsed = CHAT.parse_request(body)
    assert [(s.role, s.text, s.index) for s in parsed.segments] == [
        ("system", "be nice", 0),
        ("user", "hi there", 1),
    ]
    assert parsed.model == "m"
    assert parsed.stream is False


def test_chat_extracts_text_parts_and_skips_images() -> None:
    body = {
        "model": "m",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "look"},
                    {"type": "image_url", "image_url": {"url": "http://x"}},
                    {"type": "text", "text": "here"},
                ],
            }
        ],
    }
    segs = CHAT.parse_request(body).segments
    assert [s.text for s in segs] == ["look", "here"]
    assert segs[1].path == ("messages", 0, "content", 2, "text")


def test_chat_screens_tool_call_arguments_and_tool_results() -> None:
    body = {
        "model": "m",
        "messages": [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "1", "function": {"name": "f", "arguments": '{"q": 1}'}}],
            },
            {"role": "tool", "tool_call_id": "1", "content": "result text"},
        ],
    }
    segs = CHAT.parse_request(body).segments
    assert [(s.role, s.channel, s.text) for s in segs] == [
        ("assistant", "tool_arguments", '{"q": 1}'),
        ("tool", "content", "result text"),
    ]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": [{"role": "user", "content": "x"}]}, "model"),
        ({"model": 3, "messages": []}, "model"),
        ({"model": "m"}, "messages"),
        ({"model": "m", "messages": "hi"}, "messages"),
        ({"model": "m", "messages": []}, "messages"),
        ({"model": "m", "messages": ["hi"]}, "messages[0]"),
        ({"model": "m", "messages": [{"role": "boss", "content": "x"}]}, "messages[0].role"),
        ({"model": "m", "messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        (
            {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": "yes"},
            "stream",
        ),
        (
            {"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": -1},
            "max_tokens",
        ),
        (
            {"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 9},
            "temperature",
        ),
    ],
)
def test_chat_rejects_wrong_shapes_naming_the_field(body: dict[str, Any], param: str) -> None:
    with pytest.raises(AdapterError) as info:
        CHAT.parse_request(body)
    assert info.value.param == param


def test_rebuild_replaces_text_without_touching_original() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "my mail is a@b.co"}]}
    seg = CHAT.parse_request(body).segments[0]
    out = CHAT.rebuild(body, {seg.path: "my mail is <EMAIL>"})
    assert out["messages"][0]["content"] == "my mail is <EMAIL>"
    assert body["messages"][0]["content"] == "my mail is a@b.co"


def test_chat_response_segments_cover_content_reasoning_and_tools() -> None:
    resp = {
        "choices": [
            {
                "index": 0,
                "message": {
                    "content": "answer",
                    "reasoning_content": "thinking",
                    "tool_calls": [{"function": {"arguments": "{}"}}],
                },
            }
        ]
    }
    segs = CHAT.response_segments(resp)
    assert [(s.channel, s.text) for s in segs] == [
        ("content", "answer"),
        ("reasoning", "thinking"),
        ("tool_arguments", "{}"),
    ]


def test_chat_frame_segments_read_deltas() -> None:
    frame = {"choices": [{"index": 1, "delta": {"content": "tok"}}]}
    segs = CHAT.frame_segments(frame)
    assert len(segs) == 1
    assert segs[0].text == "tok"
    assert segs[0].choice == 1
    assert segs[0].path == ("choices", 0, "delta", "content")


def test_muse_requires_a_known_reasoning_budget() -> None:
    muse = MuseCompletionsAdapter()
    body = {
        "model": "r",
        "messages": [{"role": "user", "content": "x"}],
        "reasoning_budget": "huge",
    }
    with pytest.raises(AdapterError) as info:
        muse.parse_request(body)
    assert info.value.param == "reasoning_budget"
    body["reasoning_budget"] = "maximum"
    assert muse.parse_request(body).reasoning_budget == "maximum"


def test_muse_budget_can_be_lowered() -> None:
    muse = MuseCompletionsAdapter()
    body = {
        "model": "r",
        "messages": [{"role": "user", "content": "x"}],
        "reasoning_budget": "high",
    }
    out = muse.set_reasoning_budget(body, "medium")
    assert out["reasoning_budget"] == "medium"
    assert body["reasoning_budget"] == "high"


def test_muse_reasoning_channel_is_separate() -> None:
    muse = MuseCompletionsAdapter()
    segs = muse.frame_segments({"choices": [{"delta": {"reasoning": "hmm"}}]})
    assert [(s.channel, s.text) for s in segs] == [("reasoning", "hmm")]


def test_legacy_completions_prompt_list_and_token_ids() -> None:
    adapter = LegacyCompletionsAdapter()
    parsed = adapter.parse_request({"model": "m", "prompt": ["a", [1, 2], "b"]})
    assert [s.text for s in parsed.segments] == ["a", "b"]
    assert parsed.extra["unscreened_tokens"] is True
    assert adapter.response_segments({"choices": [{"text": "out"}]})[0].text == "out"


def test_embeddings_screen_input_only() -> None:
    adapter = EmbeddingsAdapter()
    parsed = adapter.parse_request({"model": "e", "input": ["one", "two"]})
    assert [s.text for s in parsed.segments] == ["one", "two"]
    assert adapter.screens_output is False
    with pytest.raises(AdapterError) as info:
        adapter.parse_request({"model": "e", "input": {"x": 1}})
    assert info.value.param == "input"


def test_registry_matches_routes_and_model_ids() -> None:
    registry = default_adapters()
    assert registry.match("POST", "/v1/chat/completions") is not None
    assert registry.match("GET", "/v1/models/demo-chat") is registry.match("GET", "/v1/models")
    assert registry.match("GET", "/v1/chat/completions") is None
    assert registry.knows_path("/v1/chat/completions")
    assert "openai_embeddings" not in default_adapters(["openai_embeddings"]).names()


_DELTA_VALUES = st.one_of(st.none(), st.text(max_size=3), st.integers(0, 2))
_CHOICES = st.fixed_dictionaries(
    {},
    optional={
        "index": st.one_of(st.integers(0, 2), st.text(max_size=1)),
        "delta": st.one_of(
            st.none(),
            st.dictionaries(
                st.sampled_from(["content", "role", "reasoning_content", "refusal"]),
                _DELTA_VALUES,
                max_size=3,
            ),
        ),
        "finish_reason": st.sampled_from([None, "stop"]),
        "logprobs": st.sampled_from([None, {"content": []}]),
    },
)
_FRAMES = st.fixed_dictionaries(
    {"id": st.just("c")},
    optional={
        "choices": st.one_of(st.none(), st.lists(_CHOICES, max_size=2)),
        "usage": st.sampled_from([None, {"completion_tokens": 1}]),
    },
)


@given(_FRAMES)
def test_sole_text_agrees_with_the_general_frame_walk(frame: dict[str, Any]) -> None:
    """When the fast path answers, the general walk finds exactly that one content delta."""
    for adapter in (CHAT, MuseCompletionsAdapter()):
        sole = adapter.sole_text(frame)
        if sole is None:
            continue
        (seg,) = adapter.frame_segments(frame)
        assert (seg.choice, seg.text, seg.path, seg.channel) == (*sole, "content")


def test_sole_text_takes_a_plain_content_delta() -> None:
    frame = {"choices": [{"index": 0, "delta": {"content": " harbour"}, "finish_reason": None}]}
    assert CHAT.sole_text(frame) == (0, " harbour", ("choices", 0, "delta", "content"))


@pytest.mark.parametrize(
    "choice",
    [
        {"index": 0, "delta": {"role": "assistant", "content": "Hi"}},
        {"index": 0, "delta": {"content": "Hi"}, "finish_reason": "stop"},
        {"index": 0, "delta": {"content": "Hi"}, "logprobs": {"content": []}},
        {"index": 0, "delta": {"content": ""}},
    ],
)
def test_sole_text_leaves_other_frames_to_the_general_walk(choice: dict[str, Any]) -> None:
    assert CHAT.sole_text({"choices": [choice]}) is None
