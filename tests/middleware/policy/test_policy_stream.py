"""Streamed output screened by the policy engine, through the proxy and the openai client."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import openai
import pytest
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from middleware.access import AccessAddon
from middleware.addons import Addon
from middleware.policy import PolicyRecord
from middleware.policy._addon import PolicyAddon
from middleware.policy._settings import PolicySettings
from middleware.streaming import StreamAddon, StreamBlocked
from tests.conftest import Running, StartTollgate
from tests.middleware.policy.conftest import FakeSource, policy_yaml

RULES = """
- id: secrets.redact-output
  title: Redact AWS keys in outputs
  categories: [secrets]
  directions: [output, reasoning]
  when: {finding: {kind: "secret.*"}}
  action: redact
- id: pii.email.redact
  title: Redact e-mail addresses in outputs
  categories: [pii]
  directions: [output]
  when: {finding: {kind: pii.EMAIL_ADDRESS}}
  action: redact
- id: codeword.block
  title: Block the code word
  categories: [non_violent_crimes]
  directions: [output]
  when: {keywords: {words: [open sesame]}}
  action: block
- id: weapons.block
  title: Block weapons talk
  categories: [indiscriminate_weapons]
  directions: [output, reasoning]
  when: {finding: {kind: "misuse.*"}}
  action: block
- id: lighthouse.audit
  title: Record lighthouse talk without holding the stream
  categories: [privacy]
  directions: [output]
  stream: audit
  when: {keywords: {words: [lighthouse]}}
  action: block
"""


def _weapons_block(mode: str) -> str:
    """One output rule blocking misuse findings, in stream mode ``mode``."""
    return f"""
    - id: weapons.block
      title: Block weapons talk
      categories: [indiscriminate_weapons]
      directions: [output]
      stream: {mode}
      when: {{finding: {{kind: "misuse.*"}}}}
      action: block
    """


class _Recorder(Addon):
    name = "recorder"

    def __init__(self) -> None:
        self.records: list[Any] = []

    async def done(self, ctx: Any) -> None:
        self.records.append(ctx.state.get("policy"))


async def _start(
    upstream: TestServer,
    start_tollgate: StartTollgate,
    write_policy: Callable[..., Path],
    source: FakeSource,
) -> tuple[Running, _Recorder]:
    directory = write_policy(RULES)
    settings = PolicySettings(dir=str(directory), reload_interval_s=0)
    policy = PolicyAddon(settings, source)
    recorder = _Recorder()
    running = await start_tollgate(
        str(upstream.make_url("")).rstrip("/"),
        addons=[AccessAddon(), policy, StreamAddon(policy.stream_screening), recorder],
    )
    return running, recorder


async def _stream(running: Running, mock: dict[str, Any]) -> tuple[str, str, list[str]]:
    client = openai.AsyncOpenAI(base_url=f"{running.url}/v1", api_key="sk-x", max_retries=0)
    stream = await client.chat.completions.create(
        model="demo-chat",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        extra_body={"mock": mock},
    )
    content: list[str] = []
    reasoning: list[str] = []
    finishes: list[str] = []
    try:
        async for chunk in stream:
            if chunk.choices:
                delta = chunk.choices[0].delta
                content.append(delta.content or "")
                reasoning.append(getattr(delta, "reasoning_content", None) or "")
                if chunk.choices[0].finish_reason:
                    finishes.append(chunk.choices[0].finish_reason)
    finally:
        await client.close()
    return "".join(content), "".join(reasoning), finishes


KEY = "AKIA" + "ABCDEFGHIJKLMNOP"


@pytest.mark.parametrize("chunk_chars", [1, 5])
async def test_secret_split_across_frames_is_redacted(
    upstream: TestServer,
    start_tollgate: StartTollgate,
    write_policy: Callable[..., Path],
    source: FakeSource,
    chunk_chars: int,
) -> None:
    running, recorder = await _start(upstream, start_tollgate, write_policy, source)
    reply = f"Your key is {KEY} and mail me at ann@corp.io today."
    text, _, finishes = await _stream(running, {"reply": reply, "chunk_chars": chunk_chars})
    assert KEY[:6] not in text
    assert "ann@" not in text
    assert text == "Your key is <AWS_ACCESS_KEY> and mail me at <EMAIL_ADDRESS> today."
    assert finishes == ["stop"]
    record = recorder.records[-1]
    assert isinstance(record, PolicyRecord)
    assert record.output is not None
    assert {h.rule_id for h in record.output.matches} == {
        "secrets.redact-output",
        "pii.email.redact",
    }


async def test_keyword_block_mid_stream(
    upstream: TestServer,
    start_tollgate: StartTollgate,
    write_policy: Callable[..., Path],
    source: FakeSource,
) -> None:
    running, recorder = await _start(upstream, start_tollgate, write_policy, source)
    reply = "Fine. The phrase is open sesame, and then the door opens."
    with pytest.raises(openai.APIError) as info:
        await _stream(running, {"reply": reply, "chunk_chars": 3})
    assert "content policy" in str(info.value.message)
    record = recorder.records[-1]
    assert record.output.action == "block"


async def test_violation_in_reasoning_only_is_blocked(
    upstream: TestServer,
    start_tollgate: StartTollgate,
    write_policy: Callable[..., Path],
    source: FakeSource,
) -> None:
    running, _ = await _start(upstream, start_tollgate, write_policy, source)
    with pytest.raises(openai.APIError):
        await _stream(
            running, {"reply": "Here is a safe answer.", "reasoning": "think about nerve agent"}
        )


async def test_audit_rules_record_but_do_not_hold_or_block(
    upstream: TestServer,
    start_tollgate: StartTollgate,
    write_policy: Callable[..., Path],
    source: FakeSource,
) -> None:
    running, recorder = await _start(upstream, start_tollgate, write_policy, source)
    text, _, finishes = await _stream(running, {"reply": "The lighthouse is tall."})
    assert text == "The lighthouse is tall."
    assert finishes == ["stop"]
    record = recorder.records[-1]
    assert record.output is not None
    assert record.output.action == "allow"
    assert [h.rule_id for h in record.output.monitored] == ["lighthouse.audit"]


async def test_streamed_text_equals_the_non_streamed_response(
    upstream: TestServer,
    start_tollgate: StartTollgate,
    write_policy: Callable[..., Path],
    source: FakeSource,
) -> None:
    running, _ = await _start(upstream, start_tollgate, write_policy, source)
    reply = f"Mail bo@x.org; key {KEY}; tide notes; end."
    streamed, _, _ = await _stream(running, {"reply": reply, "chunk_chars": 2})
    client = openai.AsyncOpenAI(base_url=f"{running.url}/v1", api_key="sk-x", max_retries=0)
    whole = await client.chat.completions.create(
        model="demo-chat",
        messages=[{"role": "user", "content": "hi"}],
        extra_body={"mock": {"reply": reply}},
    )
    await client.close()
    assert streamed == whole.choices[0].message.content


# -- property: any chunking streams the same text the non-streamed path returns ------

_PROPERTY_TEXTS = [
    f"Key {KEY} for ann@corp.io, then plain prose after it.",
    "Nothing sensitive at all here, only words about tides and boats.",
    f"Two: a@b.io and c.d@e-f.org;{KEY}end",
    "x@y.com",
]


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.sampled_from(_PROPERTY_TEXTS),
    cuts=st.lists(st.integers(min_value=0, max_value=80), max_size=25),
)
async def test_any_chunking_streams_what_the_whole_response_gets(
    tmp_path_factory: pytest.TempPathFactory, text: str, cuts: list[int]
) -> None:
    from multidict import CIMultiDict, CIMultiDictProxy

    from middleware._context import ProxyRequest, RequestContext
    from middleware.adapters import Segment
    from middleware.policy._addon import PolicyScratch, request_facts
    from middleware.policy._decision import PolicyRecord
    from middleware.policy._redaction import Placeholders, apply_redactions
    from middleware.policy._stream import PolicyStreamScreening

    root = tmp_path_factory.mktemp("pol")
    (root / "t.yaml").write_text(policy_yaml(RULES.replace("stream: audit\n  ", "")))
    policy = PolicyAddon(PolicySettings(dir=str(root), reload_interval_s=0), FakeSource())
    await policy.store.reload()
    engine = policy.store.engine
    request = ProxyRequest("POST", "/v1/chat/completions", "", CIMultiDictProxy(CIMultiDict()), b"")
    ctx = RequestContext(request=request, request_id="r", route="openai_chat")
    facts = request_facts(ctx)
    ctx.state["policy"] = PolicyRecord("d", engine.revision)

    # The non-streamed path: the whole text, one evaluation.
    whole = await engine.evaluate([Segment("assistant", text, 0, ("x",))], "output", facts)
    if whole.action == "block":
        return  # blocks are covered by the mid-stream tests
    expected = apply_redactions(text, whole.redactions.get(0, ()), Placeholders())

    scratch = PolicyScratch(engine, facts, "d", Placeholders())
    screening = PolicyStreamScreening(ctx, policy, scratch, policy.settings.stream)
    screen = screening.open("output", "content", 0)
    assert screen is not None
    points = sorted({c % (len(text) + 1) for c in cuts} | {0, len(text)})
    out = [await screen.feed(text[a:b]) for a, b in itertools.pairwise(points) if b > a]
    out.append(await screen.finish())
    assert "".join(out) == expected


@pytest.mark.parametrize(("mode", "released_first"), [("hold", False), ("cut", True)])
async def test_cut_rules_release_text_at_once_and_still_stop_the_stream(
    upstream: TestServer,
    start_tollgate: StartTollgate,
    write_policy: Callable[..., Path],
    mode: str,
    released_first: bool,
) -> None:
    directory = write_policy(_weapons_block(mode))
    policy = PolicyAddon(PolicySettings(dir=str(directory), reload_interval_s=0), FakeSource())
    running = await start_tollgate(
        str(upstream.make_url("")).rstrip("/"),
        addons=[AccessAddon(), policy, StreamAddon(policy.stream_screening)],
    )
    reply = "First words arrive here. Then the nerve agent part follows."
    client = openai.AsyncOpenAI(base_url=f"{running.url}/v1", api_key="sk-x", max_retries=0)
    stream = await client.chat.completions.create(
        model="demo-chat",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        # Paced: frames read in one burst are screened together, and this
        # test is about text flowing frame by frame before the cut.
        extra_body={"mock": {"reply": reply, "chunk_chars": 4, "tokens_per_s": 50}},
    )
    received: list[str] = []
    finishes: list[str] = []
    with pytest.raises(openai.APIError):
        async for chunk in stream:
            if chunk.choices:
                received.append(chunk.choices[0].delta.content or "")
                finishes.extend(
                    [chunk.choices[0].finish_reason] if chunk.choices[0].finish_reason else []
                )
    await client.close()
    text = "".join(received)
    assert finishes == ["content_filter"]
    # hold: the classifier window had to be seen first, so nothing was released;
    # cut: text flowed at once and the stream was cut when the window scored
    # (up to one classifier window may reach the client: the documented trade-off).
    assert text.startswith("First words") is released_first
    if not released_first:
        assert text == ""


@pytest.mark.parametrize(("mode", "most_windows"), [("hold", 8), ("cut", 2)])
async def test_classifier_windows_are_larger_when_no_hold_rule_waits_for_them(
    write_policy: Callable[..., Path], mode: str, most_windows: int
) -> None:
    from multidict import CIMultiDict, CIMultiDictProxy

    from middleware._context import ProxyRequest, RequestContext
    from middleware.policy._addon import PolicyScratch, request_facts
    from middleware.policy._decision import PolicyRecord
    from middleware.policy._redaction import Placeholders
    from middleware.policy._stream import PolicyStreamScreening

    directory = write_policy(_weapons_block(mode))
    source = FakeSource()
    policy = PolicyAddon(PolicySettings(dir=str(directory), reload_interval_s=0), source)
    await policy.store.reload()
    engine = policy.store.engine
    request = ProxyRequest("POST", "/v1/chat/completions", "", CIMultiDictProxy(CIMultiDict()), b"")
    ctx = RequestContext(request=request, request_id="r", route="openai_chat")
    ctx.state["policy"] = PolicyRecord("d", engine.revision)
    scratch = PolicyScratch(engine, request_facts(ctx), "d", Placeholders())
    screen = PolicyStreamScreening(ctx, policy, scratch, policy.settings.stream).open(
        "output", "content", 0
    )
    assert screen is not None
    # 12 sentences of 40 characters: 480 characters in all.
    text = "The harbour lights came on at dusk here. " * 12
    out = [await screen.feed(word + " ") for word in text.split(" ")[:-1]]
    out.append(await screen.finish())
    windows = sum(1 for call in source.calls if "misuse" in call)
    assert "".join(out) == text
    # hold: a sentence window from 80 characters (text waits for each);
    # cut: from 240 (nothing waits, so fewer, larger windows).
    assert 2 <= windows <= most_windows
    if mode == "hold":
        assert windows >= 4


class _SlowMisuse(FakeSource):
    """Misuse scans wait for ``release``; the others answer at once."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.started = 0

    async def scan(self, text: str, names: Collection[str]) -> Any:
        if "misuse" in names:
            self.started += 1
            await self.release.wait()
        return self.scan_sync(text, names)


async def _open_screen(directory: Path, source: FakeSource) -> tuple[Any, Any]:
    """The output screen of one chat stream under the policies in ``directory``, and its ctx."""
    from multidict import CIMultiDict, CIMultiDictProxy

    from middleware._context import ProxyRequest, RequestContext
    from middleware.policy._addon import PolicyScratch, request_facts
    from middleware.policy._decision import PolicyRecord
    from middleware.policy._redaction import Placeholders
    from middleware.policy._stream import PolicyStreamScreening

    policy = PolicyAddon(PolicySettings(dir=str(directory), reload_interval_s=0), source)
    await policy.store.reload()
    engine = policy.store.engine
    request = ProxyRequest("POST", "/v1/chat/completions", "", CIMultiDictProxy(CIMultiDict()), b"")
    ctx = RequestContext(request=request, request_id="r", route="openai_chat")
    ctx.state["policy"] = PolicyRecord("d", engine.revision)
    scratch = PolicyScratch(engine, request_facts(ctx), "d", Placeholders())
    screen = PolicyStreamScreening(ctx, policy, scratch, policy.settings.stream).open(
        "output", "content", 0
    )
    return screen, ctx


async def _screen_for(
    write_policy: Callable[..., Path], source: FakeSource, mode: str
) -> tuple[Any, Any]:
    directory = write_policy(_weapons_block(mode))
    return await _open_screen(directory, source)


_SENTENCES = [f"Sentence {n} is about the harbour lights at dusk. " for n in range(8)]


async def test_cut_rule_windows_are_scored_behind_the_stream(
    write_policy: Callable[..., Path],
) -> None:
    source = _SlowMisuse()
    screen, _ = await _screen_for(write_policy, source, "cut")
    released = [await screen.feed(s) for s in _SENTENCES]
    # Every sentence reached the client while the first window was still being scored.
    assert released == _SENTENCES
    await asyncio.sleep(0.01)
    assert source.started == 1
    source.release.set()
    assert await screen.finish() == ""
    assert source.started == 2  # the first window, then the rest at the end


async def test_a_cut_decided_behind_the_stream_ends_it_at_the_next_frame(
    write_policy: Callable[..., Path],
) -> None:
    source = _SlowMisuse()
    screen, ctx = await _screen_for(write_policy, source, "cut")
    text = [*_SENTENCES[:5], "Now the nerve agent part. ", *_SENTENCES, *_SENTENCES]
    fed = 0
    with pytest.raises(StreamBlocked):
        for piece in text:
            await screen.feed(piece)
            fed += 1
            source.release.set()
            await asyncio.sleep(0.01)  # the scan answers
    assert fed < len(text)  # ended before the stream did
    assert ctx.state["policy"].output.action == "block"


async def test_hold_rule_windows_are_scored_before_text_is_released(
    write_policy: Callable[..., Path],
) -> None:
    source = _SlowMisuse()
    screen, _ = await _screen_for(write_policy, source, "hold")
    first = asyncio.ensure_future(screen.feed("".join(_SENTENCES[:2])))
    await asyncio.sleep(0.01)
    assert not first.done()  # waits for the window's score
    source.release.set()
    assert await first == "".join(_SENTENCES[:2])


async def test_closing_a_stream_cancels_the_window_scored_behind_it(
    write_policy: Callable[..., Path],
) -> None:
    source = _SlowMisuse()
    screen, _ = await _screen_for(write_policy, source, "cut")
    for s in _SENTENCES:
        await screen.feed(s)
    inflight = screen._on_close.__self__._windows._inflight
    assert inflight is not None and not inflight.done()
    screen.close()
    await asyncio.sleep(0)
    assert inflight.cancelled()


async def test_a_cut_scored_behind_the_stream_ends_it_for_the_openai_client(
    upstream: TestServer,
    start_tollgate: StartTollgate,
    write_policy: Callable[..., Path],
) -> None:
    directory = write_policy(
        """
        - id: weapons.block
          title: Block weapons talk
          categories: [indiscriminate_weapons]
          directions: [output]
          stream: cut
          when: {finding: {kind: "misuse.*"}}
          action: block
        """
    )
    policy = PolicyAddon(PolicySettings(dir=str(directory), reload_interval_s=0), FakeSource())
    running = await start_tollgate(
        str(upstream.make_url("")).rstrip("/"),
        addons=[AccessAddon(), policy, StreamAddon(policy.stream_screening)],
    )
    # The violation sits in the first classifier window (>= 240 characters),
    # and a long tail follows: the cut must land well before the end.
    violation = "Then the nerve agent part follows. "
    reply = "".join(_SENTENCES[:4]) + violation + "".join(_SENTENCES * 3)
    client = openai.AsyncOpenAI(base_url=f"{running.url}/v1", api_key="sk-x", max_retries=0)
    stream = await client.chat.completions.create(
        model="demo-chat",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        extra_body={"mock": {"reply": reply, "chunk_chars": 8, "tokens_per_s": 200}},
    )
    received: list[str] = []
    finishes: list[str] = []
    with pytest.raises(openai.APIError, match="blocked by content policy"):
        async for chunk in stream:
            if chunk.choices:
                received.append(chunk.choices[0].delta.content or "")
                if chunk.choices[0].finish_reason:
                    finishes.append(chunk.choices[0].finish_reason)
    await client.close()
    text = "".join(received)
    assert finishes == ["content_filter"]
    assert reply.startswith(text)  # what arrived is intact and in order
    assert "nerve agent" in text  # cut mode: released at once, cut once scored
    assert len(text) < len(reply) - 200  # ...long before the stream's end


async def test_an_exception_that_lapses_mid_stream_stops_applying_at_the_next_window(
    write_policy: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each channel keeps the engine's window checks for one UTC day, then asks again."""
    import datetime as dt

    from middleware.policy import _stream

    last_day = dt.datetime(2026, 6, 30, 23, 59, 59, tzinfo=dt.UTC).timestamp()
    directory = write_policy(
        """
        - id: codeword.block
          title: Block the code word
          categories: [non_violent_crimes]
          directions: [output]
          when: {keywords: {words: [open sesame]}}
          action: block
          exceptions:
            - {route: openai_chat, reason: drill, expires: 2026-06-30}
        """
    )
    screen, _ = await _open_screen(directory, FakeSource())
    assert screen is not None
    monkeypatch.setattr(_stream.time, "time", lambda: last_day)
    assert await screen.feed("say open sesame. ") == "say open sesame. "
    monkeypatch.setattr(_stream.time, "time", lambda: last_day + 2)
    with pytest.raises(StreamBlocked):
        await screen.feed("then open sesame again. ")
