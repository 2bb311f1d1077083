"""Incremental stream screening: hold-back, redaction in flight, mid-stream blocks."""

from __future__ import annotations

import itertools
import json
from typing import Any

import openai
import pytest
import regex
from aiohttp.test_utils import TestServer
from hypothesis import given, settings
from hypothesis import strategies as st

from middleware._context import RequestContext
from middleware.access import AccessAddon
from middleware.addons import Addon
from middleware.streaming import StreamAddon, StreamBlocked, StreamScreening
from tests.conftest import Running, StartTollgate
from tests.middleware.stream_rules import Rule, RuleScreening, redact_all

EMAIL = Rule(regex.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"), "redact", "<EMAIL>")
CARD = Rule(regex.compile(r"\b(?:\d[ -]?){15}\d\b"), "redact", "<CARD>")
SECRET = Rule(regex.compile(r"sk-[A-Za-z0-9]{20,}"), "block")
RULES = [EMAIL, CARD, SECRET]


async def _run(screen: Any, chunks: list[str]) -> str:
    out = [await screen.feed(c) for c in chunks]
    out.append(await screen.finish())
    return "".join(out)


def _cut(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts} | {0, len(text)})
    return [text[a:b] for a, b in itertools.pairwise(points) if b > a]


TEXTS = st.sampled_from(
    [
        "Contact me at jane.doe@example.com or 4111 1111 1111 1111 tomorrow.",
        "No personal data here, just prose about lighthouses and the sea.",
        "Two mails: a@b.io, c.d@e-f.org; card 5500-0000-0000-0004 end",
        "edge@case.com",
    ]
)


@settings(max_examples=200, deadline=None)
@given(text=TEXTS, cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=30))
async def test_any_chunking_gives_the_non_streamed_result(text: str, cuts: list[int]) -> None:
    screening = RuleScreening([EMAIL, CARD])
    screen = screening.open("output", "content", 0)
    assert await _run(screen, _cut(text, cuts)) == redact_all([EMAIL, CARD], text)


async def test_prose_is_released_without_holding() -> None:
    screen = RuleScreening(RULES).open("output", "content", 0)
    assert screen is not None
    assert await screen.feed("The sea is ") == "The sea is "
    assert await screen.feed("calm today. ") == "calm today. "


async def test_partial_card_number_is_held_until_complete() -> None:
    screen = RuleScreening(RULES).open("output", "content", 0)
    assert screen is not None
    released = await screen.feed("Pay with 4111 1111 ")
    assert released == "Pay with "
    released += await screen.feed("1111 1111 now")
    released += await screen.finish()
    assert released == "Pay with <CARD> now"


async def test_one_character_frames_never_leak_an_email() -> None:
    text = "write to bob@example.org please"
    screen = RuleScreening(RULES).open("output", "content", 0)
    pieces = [await screen.feed(ch) for ch in text]  # type: ignore[union-attr]
    pieces.append(await screen.finish())  # type: ignore[union-attr]
    assert "bob@" not in "".join(pieces)
    assert all("@" not in p for p in pieces)
    assert "".join(pieces) == "write to <EMAIL> please"


async def test_held_text_is_bounded() -> None:
    screen = RuleScreening(RULES, max_hold=64).open("output", "content", 0)
    assert screen is not None
    for _ in range(100):
        await screen.feed("1234567 ")
    assert screen.held <= 64  # type: ignore[attr-defined]


# -- through the proxy, with the official client --------------------------------------


class _Usage(Addon):
    name = "usage-probe"

    def __init__(self) -> None:
        self.seen: list[dict[str, int]] = []

    async def done(self, ctx: RequestContext) -> None:
        self.seen.append(dict(ctx.usage))


async def _start(
    upstream: TestServer, start_tollgate: StartTollgate, rules: list[Rule]
) -> tuple[Running, _Usage]:
    async def factory(ctx: RequestContext) -> StreamScreening | None:
        return RuleScreening(rules)

    probe = _Usage()
    running = await start_tollgate(
        str(upstream.make_url("")).rstrip("/"),
        addons=[AccessAddon(), StreamAddon(factory), probe],
    )
    return running, probe


async def _stream(
    client: openai.AsyncOpenAI, mock: dict[str, Any], *, include_usage: bool = False
) -> Any:
    """A streamed chat completion whose reply the mock upstream takes from ``mock``."""
    options: dict[str, Any] = {"stream_options": {"include_usage": True}} if include_usage else {}
    return await client.chat.completions.create(
        model="demo-chat",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        extra_body={"mock": mock},
        **options,
    )


def _client(running: Running) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=f"{running.url}/v1", api_key="sk-x", max_retries=0)


async def _collect(stream: Any) -> tuple[str, str | None, int]:
    text, finish, usage_frames = [], None, 0
    async for chunk in stream:
        if chunk.usage is not None:
            usage_frames += 1
        if chunk.choices:
            text.append(chunk.choices[0].delta.content or "")
            finish = chunk.choices[0].finish_reason or finish
    return "".join(text), finish, usage_frames


@pytest.mark.parametrize("chunk_chars", [1, 3, 7])
async def test_client_receives_redacted_text_for_any_frame_size(
    upstream: TestServer, start_tollgate: StartTollgate, chunk_chars: int
) -> None:
    running, _ = await _start(upstream, start_tollgate, RULES)
    reply = "Mail jane@example.com, card 4111 1111 1111 1111. Thanks!"
    client = _client(running)
    stream = await _stream(client, {"reply": reply, "chunk_chars": chunk_chars})
    text, finish, _ = await _collect(stream)
    assert text == "Mail <EMAIL>, card <CARD>. Thanks!"
    assert finish == "stop"
    await client.close()


async def test_usage_is_requested_recorded_and_stripped(
    upstream: TestServer, start_tollgate: StartTollgate
) -> None:
    running, probe = await _start(upstream, start_tollgate, RULES)
    client = _client(running)
    stream = await _stream(client, {"reply": "plain words here"})
    text, _, usage_frames = await _collect(stream)
    await client.close()
    assert text == "plain words here"
    assert usage_frames == 0
    assert probe.seen[-1]["completion_tokens"] > 0


async def test_usage_kept_when_client_asked_for_it(
    upstream: TestServer, start_tollgate: StartTollgate
) -> None:
    running, _ = await _start(upstream, start_tollgate, RULES)
    client = _client(running)
    stream = await _stream(client, {"reply": "plain words"}, include_usage=True)
    _, _, usage_frames = await _collect(stream)
    await client.close()
    assert usage_frames == 1


async def test_block_mid_stream_ends_with_content_filter_and_error(
    upstream: TestServer, start_tollgate: StartTollgate
) -> None:
    running, _ = await _start(upstream, start_tollgate, RULES)
    reply = "Sure, here is the key: sk-" + "A" * 30 + " and more text after it."
    client = _client(running)
    stream = await _stream(client, {"reply": reply, "chunk_chars": 2})
    received: list[str] = []
    finishes: list[str] = []
    with pytest.raises(openai.APIError) as info:
        async for chunk in stream:
            if chunk.choices:
                received.append(chunk.choices[0].delta.content or "")
                if chunk.choices[0].finish_reason:
                    finishes.append(chunk.choices[0].finish_reason)
    await client.close()
    # What was released before the key (frames read in one burst are screened
    # together, so a burst that holds the key releases none of its text).
    assert "Sure, here is the key: ".startswith("".join(received))
    assert finishes == ["content_filter"]
    assert "blocked" in str(info.value.message)


async def test_a_block_keeps_what_was_released_before_it() -> None:
    screen = RuleScreening(RULES).open("output", "content", 0)
    assert screen is not None
    assert await screen.feed("Sure, here is the key: ") == "Sure, here is the key: "
    with pytest.raises(StreamBlocked):
        await screen.feed("sk-" + "A" * 30 + " and more")


async def test_violation_in_the_last_frame_is_caught(
    upstream: TestServer, start_tollgate: StartTollgate
) -> None:
    running, _ = await _start(upstream, start_tollgate, RULES)
    client = _client(running)
    stream = await _stream(client, {"reply": "reach me: x@y.com", "chunk_chars": 40})
    text, _, _ = await _collect(stream)
    await client.close()
    assert text == "reach me: <EMAIL>"


async def test_reasoning_channel_is_screened_separately(
    upstream: TestServer, start_tollgate: StartTollgate
) -> None:
    only_reasoning = Rule(regex.compile(r"secret plan"), "redact", "<HIDDEN>", ("reasoning",))
    running, _ = await _start(upstream, start_tollgate, [only_reasoning])
    client = _client(running)
    stream = await _stream(
        client, {"reply": "the secret plan is fine", "reasoning": "my secret plan: x"}
    )
    content, reasoning = [], []
    async for chunk in stream:
        if chunk.choices:
            delta = chunk.choices[0].delta
            content.append(delta.content or "")
            reasoning.append(getattr(delta, "reasoning_content", None) or "")
    await client.close()
    assert "".join(reasoning) == "my <HIDDEN>: x"
    assert "".join(content) == "the secret plan is fine"


async def test_tool_call_arguments_are_screened(
    upstream: TestServer, start_tollgate: StartTollgate
) -> None:
    running, _ = await _start(upstream, start_tollgate, RULES)
    client = _client(running)
    stream = await _stream(client, {"reply": "ok", "tool_arguments": '{"to": "ann@corp.io"}'})
    args = []
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.tool_calls:
            fn = chunk.choices[0].delta.tool_calls[0].function
            args.append((fn.arguments if fn else "") or "")
    await client.close()
    assert "".join(args) == '{"to": "<EMAIL>"}'


async def test_stream_dying_midway_drops_held_text_then_errors(
    upstream: TestServer, start_tollgate: StartTollgate
) -> None:
    running, _ = await _start(upstream, start_tollgate, RULES)
    client = _client(running)
    stream = await _stream(
        client, {"reply": "mail q@w.io now", "chunk_chars": 3, "die_after_frames": 4}
    )
    received: list[str] = []
    with pytest.raises(openai.APIError):
        async for chunk in stream:
            if chunk.choices:
                received.append(chunk.choices[0].delta.content or "")
    await client.close()
    assert "".join(received) == "mail "


# -- bursts: several frames in one read are screened once, at the last --------


class _CountingScreening(RuleScreening):
    """Counts the windows the rules are asked about."""

    def __init__(self, rules: list[Rule]) -> None:
        super().__init__(rules)
        self.windows = 0

    def open(self, direction: Any, channel: Any, choice: int) -> Any:
        screen = super().open(direction, channel, choice)
        if screen is None:
            return None
        evaluate = screen._evaluate

        async def counted(window: Any) -> Any:
            self.windows += 1
            return await evaluate(window)

        screen._evaluate = counted
        return screen


async def test_deferred_text_is_held_unscreened_until_the_burst_ends() -> None:
    screening = _CountingScreening(RULES)
    screen = screening.open("output", "content", 0)
    assert await screen.feed("The sea ", defer=True) == ""
    assert await screen.feed("is calm ", defer=True) == ""
    assert screening.windows == 0
    assert await screen.feed("today. ") == "The sea is calm today. "
    assert screening.windows == 1


async def test_feeding_nothing_screens_what_a_burst_deferred() -> None:
    screen = RuleScreening(RULES).open("output", "content", 0)
    assert await screen.feed("Mail jo@x.io now ", defer=True) == ""
    assert await screen.feed("") == "Mail <EMAIL> now "


async def test_a_word_held_by_a_burst_is_not_mistaken_for_one_the_rules_hold() -> None:
    screen = RuleScreening([CARD]).open("output", "content", 0)
    assert await screen.feed(" harb", defer=True) == ""
    assert await screen.feed("our") == " harbour"


async def _windows_for(
    upstream: TestServer, start_tollgate: StartTollgate, reply: str, mock: dict[str, Any]
) -> tuple[str, str | None, int]:
    """Stream ``reply`` through a counting screening; the text, finish and windows screened."""
    screening = _CountingScreening(RULES)

    async def factory(ctx: RequestContext) -> StreamScreening | None:
        return screening

    running = await start_tollgate(
        str(upstream.make_url("")).rstrip("/"), addons=[AccessAddon(), StreamAddon(factory)]
    )
    client = _client(running)
    text, finish, _ = await _collect(await _stream(client, {"reply": reply, **mock}))
    await client.close()
    return text, finish, screening.windows


async def test_a_burst_of_frames_is_screened_in_fewer_windows_with_the_same_text(
    upstream: TestServer, start_tollgate: StartTollgate
) -> None:
    reply = "Mail jane@example.com, card 4111 1111 1111 1111. Thanks for all the fish!"
    expected = "Mail <EMAIL>, card <CARD>. Thanks for all the fish!"
    # Paced: one frame per read. Burst: every frame in one write.
    paced = await _windows_for(
        upstream, start_tollgate, reply, {"chunk_chars": 2, "token_delay_ms": 5}
    )
    burst = await _windows_for(
        upstream, start_tollgate, reply, {"chunk_chars": 2, "frames_per_write": 100}
    )
    assert paced[:2] == burst[:2] == (expected, "stop")
    assert burst[2] * 2 < paced[2]


async def test_a_burst_ending_on_another_channel_releases_the_deferred_text(
    upstream: TestServer, start_tollgate: StartTollgate
) -> None:
    running, _ = await _start(upstream, start_tollgate, RULES)
    client = _client(running)
    # Reasoning frames then answer frames, three per write: bursts end on
    # either channel; everything arrives, in order, per channel.
    mock = {"reply": "The answer is 42.", "reasoning": "Let me think it over.",
            "chunk_chars": 3, "frames_per_write": 3}  # fmt: skip
    stream = await _stream(client, mock)
    answer, reasoning = [], []
    async for chunk in stream:
        if chunk.choices:
            answer.append(chunk.choices[0].delta.content or "")
            reasoning.append(getattr(chunk.choices[0].delta, "reasoning_content", None) or "")
    await client.close()
    assert "".join(answer) == "The answer is 42."
    assert "".join(reasoning) == "Let me think it over."


@pytest.mark.parametrize("frames_per_write", [1, 2, 5])
async def test_bursts_keep_answer_and_tool_arguments_apart_and_in_order(
    upstream: TestServer, start_tollgate: StartTollgate, frames_per_write: int
) -> None:
    running, _ = await _start(upstream, start_tollgate, RULES)
    client = _client(running)
    mock = {"reply": "Sending it to ann now.", "tool_arguments": '{"to": "ann@corp.io"}',
            "chunk_chars": 3, "frames_per_write": frames_per_write}  # fmt: skip
    stream = await _stream(client, mock)
    answer, args = [], []
    async for chunk in stream:
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        answer.append(delta.content or "")
        for call in delta.tool_calls or []:
            args.append((call.function.arguments if call.function else "") or "")
    await client.close()
    assert "".join(answer) == "Sending it to ann now."
    assert "".join(args) == '{"to": "<EMAIL>"}'


async def test_legacy_completions_in_bursts_are_redacted(
    upstream: TestServer, start_tollgate: StartTollgate
) -> None:
    running, _ = await _start(upstream, start_tollgate, RULES)
    client = _client(running)
    mock = {"reply": "Mail bo@x.org today.", "chunk_chars": 2, "frames_per_write": 4}
    stream = await client.completions.create(
        model="demo-chat", prompt="hi", stream=True, extra_body={"mock": mock}
    )
    text = [c.choices[0].text async for c in stream if c.choices]
    await client.close()
    assert "".join(text) == "Mail <EMAIL> today."


async def _frames_through(frames: list[str]) -> list[str]:
    """Send ``frames`` through the stream addon with ``RULES``; the data it emits."""
    from multidict import CIMultiDict, CIMultiDictProxy

    from middleware._context import ProxyRequest, SseEvent
    from middleware.adapters import default_adapters
    from middleware.streaming import _StreamState

    async def factory(ctx: RequestContext) -> StreamScreening | None:
        return RuleScreening(RULES)

    addon = StreamAddon(factory)
    request = ProxyRequest("POST", "/v1/chat/completions", "", CIMultiDictProxy(CIMultiDict()), b"")
    adapter = default_adapters().by_name("openai_chat")
    ctx = RequestContext(request=request, request_id="r", route="openai_chat", adapter=adapter)
    ctx.state[addon.name] = _StreamState(screening=RuleScreening(RULES), injected_usage=False)
    out: list[str] = []
    for data in frames:
        out.extend(e.data for e in await addon.stream_event(ctx, SseEvent(data=data)))
    return out


def _chunk(content: str, **extra: Any) -> str:
    # Spaced and ordered as an upstream might: not how json.dumps would write it.
    choice = {"index": 0, "delta": {"content": content}, "finish_reason": None, **extra}
    head = '{"id":"c1",  "object":"chat.completion.chunk", "choices": ['
    return head + json.dumps(choice) + "]}"


async def test_a_frame_released_whole_goes_out_exactly_as_it_came() -> None:
    frames = [_chunk("The tide "), _chunk("is high ")]
    assert await _frames_through(frames) == frames


async def test_a_frame_with_redacted_text_is_rewritten() -> None:
    (out,) = await _frames_through([_chunk("Mail jo@x.io now ")])
    assert json.loads(out)["choices"][0]["delta"]["content"] == "Mail <EMAIL> now "


async def test_logprobs_are_removed_even_from_a_frame_released_whole() -> None:
    (out,) = await _frames_through([_chunk("Calm seas ", logprobs={"content": []})])
    choice = json.loads(out)["choices"][0]
    assert choice["delta"]["content"] == "Calm seas " and choice["logprobs"] is None


async def test_the_screens_of_a_stream_are_closed_when_the_request_is_done() -> None:
    from multidict import CIMultiDict, CIMultiDictProxy

    from middleware._context import ProxyRequest, SseEvent
    from middleware.adapters import default_adapters
    from middleware.streaming import _StreamState

    closed: list[int] = []
    screening = RuleScreening(RULES)
    opened = screening.open

    def open_closing(direction: Any, channel: Any, choice: int) -> Any:
        screen = opened(direction, channel, choice)
        screen._on_close = lambda: closed.append(choice)
        return screen

    screening.open = open_closing  # type: ignore[method-assign]
    addon = StreamAddon(lambda ctx: None)  # type: ignore[arg-type,return-value]
    request = ProxyRequest("POST", "/v1/chat/completions", "", CIMultiDictProxy(CIMultiDict()), b"")
    adapter = default_adapters().by_name("openai_chat")
    ctx = RequestContext(request=request, request_id="r", route="openai_chat", adapter=adapter)
    ctx.state[addon.name] = _StreamState(screening=screening, injected_usage=False)
    await addon.stream_event(ctx, SseEvent(data=_chunk("Some words ")))
    assert closed == []
    await addon.done(ctx)
    assert closed == [0]


async def test_a_deferred_frame_is_dropped_and_its_text_arrives_with_the_burst_end() -> None:
    from multidict import CIMultiDict, CIMultiDictProxy

    from middleware._context import ProxyRequest, SseEvent
    from middleware.adapters import default_adapters
    from middleware.streaming import _StreamState

    addon = StreamAddon(lambda ctx: None)  # type: ignore[arg-type,return-value]
    request = ProxyRequest("POST", "/v1/chat/completions", "", CIMultiDictProxy(CIMultiDict()), b"")
    adapter = default_adapters().by_name("openai_chat")
    ctx = RequestContext(request=request, request_id="r", route="openai_chat", adapter=adapter)
    ctx.state[addon.name] = _StreamState(screening=RuleScreening(RULES), injected_usage=False)
    ctx.burst_more = True
    assert await addon.stream_event(ctx, SseEvent(data=_chunk("Mail jo@x.io "))) == []
    ctx.burst_more = False
    (out,) = await addon.stream_event(ctx, SseEvent(data=_chunk("today ")))
    assert json.loads(out.data)["choices"][0]["delta"]["content"] == "Mail <EMAIL> today "


async def test_a_deferred_frame_keeps_text_no_screen_watches() -> None:
    from multidict import CIMultiDict, CIMultiDictProxy

    from middleware._context import ProxyRequest, SseEvent
    from middleware.adapters import default_adapters
    from middleware.streaming import _StreamState

    class _ContentOnly(RuleScreening):
        def open(self, direction: Any, channel: Any, choice: int) -> Any:
            return super().open(direction, channel, choice) if channel == "content" else None

    addon = StreamAddon(lambda ctx: None)  # type: ignore[arg-type,return-value]
    request = ProxyRequest("POST", "/v1/chat/completions", "", CIMultiDictProxy(CIMultiDict()), b"")
    adapter = default_adapters().by_name("openai_chat")
    ctx = RequestContext(request=request, request_id="r", route="openai_chat", adapter=adapter)
    ctx.state[addon.name] = _StreamState(screening=_ContentOnly(RULES), injected_usage=False)
    ctx.burst_more = True
    frame = {"choices": [{"index": 0, "delta": {"content": "Hi ", "reasoning_content": "think "}}]}
    (out,) = await addon.stream_event(ctx, SseEvent(data=json.dumps(frame)))
    delta = json.loads(out.data)["choices"][0]["delta"]
    assert delta == {"content": "", "reasoning_content": "think "}
