"""Incremental screening of streamed output: hold-back windows per channel.

A streamed response is screened as it flows. Each (choice, channel) of a
stream gets a :class:`ChannelScreen`; every delta is fed to it and only the
text it releases reaches the client, so nothing a rule would block or redact
is ever sent. :class:`~middleware.holdback.WindowScreen` is the generic
hold-back algorithm (re-exported here with its window types).

:class:`StreamAddon` does the frame plumbing: it feeds deltas through the
screens, rewrites frames with the released text (dropping frames that end
up empty), asks the upstream for usage and strips that extra frame, flushes
held text before ``finish_reason``/``[DONE]``, and on a block ends the
stream with a ``content_filter`` chunk, an error frame and ``[DONE]``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from middleware._context import RequestContext, SseEvent
from middleware.adapters import ApiAdapter, Channel, Direction, Segment
from middleware.addons import Addon, StreamStop
from middleware.errors import ApiError
from middleware.holdback import StreamBlocked, Window, WindowScreen, WindowVerdict
from middleware.usage import record_usage

__all__ = [
    "ChannelScreen",
    "StreamAddon",
    "StreamBlocked",
    "StreamScreening",
    "Window",
    "WindowScreen",
    "WindowVerdict",
]

_USAGE_ROUTES = frozenset({"openai_chat", "openai_completions", "muse_completions"})
_TEXT_KEYS = frozenset({"content", "reasoning_content", "reasoning", "refusal", "text"})


class ChannelScreen(Protocol):
    """Screens one channel of one choice, incrementally."""

    async def feed(self, text: str, *, defer: bool = False) -> str:
        """Add ``text``; return what is now safe to release (redacted).

        ``defer``: more text is already at hand (a burst of frames), so the
        screen may hold ``text`` unscreened and decide at a later ``feed``.
        Raises :class:`StreamBlocked` when a blocking rule matched.
        """
        ...

    async def finish(self) -> str:
        """The channel ended: screen and return everything still held."""
        ...


class StreamScreening(Protocol):
    """Creates the screens of one stream (per request)."""

    def open(self, direction: Direction, channel: Channel, choice: int) -> ChannelScreen | None:
        """A screen for this channel, or ``None`` when nothing screens it."""
        ...


#: A channel of a stream: (choice, channel, tool call index).
_Key = tuple[int, Channel, int]

ScreeningFactory = Callable[[RequestContext], Awaitable[StreamScreening | None]]


@dataclass(slots=True)
class _StreamState:
    screening: StreamScreening
    injected_usage: bool
    screens: dict[_Key, ChannelScreen | None] = field(default_factory=dict)
    templates: dict[_Key, tuple[Any, tuple[str | int, ...]]] = field(default_factory=dict)
    last_frame: Any = None
    #: Screens holding text a burst deferred, screened at the burst's end.
    deferred: set[_Key] = field(default_factory=set)


def _screen_key(frame: Any, seg: Segment) -> _Key:
    tool = 0
    if seg.channel == "tool_arguments" and len(seg.path) > 4:
        pos, k = seg.path[1], seg.path[4]
        try:
            call = frame["choices"][pos]["delta"]["tool_calls"][k]
            tool = int(call.get("index", k))
        except (KeyError, IndexError, TypeError, ValueError):
            tool = int(k) if isinstance(k, int) else 0
    return (seg.choice, seg.channel, tool)


def _direction(channel: str) -> Direction:
    return "reasoning" if channel == "reasoning" else "output"


def _text_event(st: _StreamState, adapter: ApiAdapter, key: _Key, text: str) -> SseEvent:
    """A frame carrying only ``text`` for the channel ``key``, shaped like its last frame."""
    template, path = st.templates[key]
    blank: dict[tuple[str | int, ...], str] = {s.path: "" for s in adapter.frame_segments(template)}
    blank[path] = text
    frame = adapter.rebuild(template, blank)
    for c in frame.get("choices") or []:
        if isinstance(c, dict):
            c["finish_reason"] = None
    return SseEvent(data=json.dumps(frame))


def _has_logprobs(frame: dict[str, Any]) -> bool:
    """Whether any choice of ``frame`` carries ``logprobs`` (the raw tokens)."""
    return any(
        isinstance(c, dict) and c.get("logprobs") is not None for c in frame.get("choices") or []
    )


def _is_empty(frame: Any, *, text_withheld: bool = False) -> bool:
    """Whether a rewritten frame carries nothing a client needs.

    ``text_withheld``: ``frame`` is the frame as received and none of its
    text is released now, so its text fields count as empty (a deferred
    frame of a burst is dropped without being rebuilt first).
    """
    if not isinstance(frame, dict) or frame.get("usage") or frame.get("error"):
        return False
    choices = frame.get("choices")
    if not isinstance(choices, list) or not choices:
        return False
    for choice in choices:
        if not isinstance(choice, dict) or choice.get("finish_reason"):
            return False
        if choice.get("text") and not text_withheld:
            return False
        delta = choice.get("delta") or {}
        for key, value in delta.items():
            if key in _TEXT_KEYS and (text_withheld or not value):
                continue
            if key == "tool_calls" and isinstance(value, list):
                for call in value:
                    fn = call.get("function") or {}
                    if call.get("id") or fn.get("name") or fn.get("arguments"):
                        return False
                continue
            return False
    return True


class StreamAddon(Addon):
    """Screens streamed responses through per-channel hold-back screens.

    ``factory(ctx)`` returns the stream's :class:`StreamScreening` (or
    ``None`` when no active rule screens this stream: frames then pass
    untouched). Streamed ``logprobs`` are removed while screening, since they
    carry the raw tokens that hold-back keeps from the client.
    """

    name = "stream"
    wants_stream_events = True

    def __init__(self, factory: ScreeningFactory) -> None:
        self._factory = factory

    async def request(self, ctx: RequestContext) -> None:
        """Open the stream's screening; ask the upstream for usage frames."""
        adapter = ctx.adapter
        if not (ctx.stream and adapter and adapter.streams and adapter.screens_output):
            return
        screening = await self._factory(ctx)
        injected = False
        if adapter.name in _USAGE_ROUTES and isinstance(ctx.body, dict):
            opts = ctx.body.get("stream_options")
            if not (isinstance(opts, dict) and opts.get("include_usage")):
                options = dict(opts) if isinstance(opts, dict) else {}
                options["include_usage"] = True
                ctx.body = {**ctx.body, "stream_options": options}
                injected = True
        if screening is not None or injected:
            ctx.state[self.name] = _StreamState(
                screening=screening or _NoScreening(), injected_usage=injected
            )

    async def stream_event(self, ctx: RequestContext, event: SseEvent) -> list[SseEvent]:
        """Feed one frame through the screens; return the frames to send."""
        st: _StreamState | None = ctx.state.get(self.name)
        adapter = ctx.adapter
        if st is None or adapter is None:
            return [event]
        if event.data.strip() == "[DONE]":
            return [*await self._flush(ctx, st, adapter, None), event]
        if isinstance(st.screening, _NoScreening) and '"usage"' not in event.data:
            return [event]  # nothing screens this stream: only usage frames matter
        try:
            frame = json.loads(event.data)
        except ValueError:
            return []  # unparseable: cannot be screened, so not sent
        if not isinstance(frame, dict) or "error" in frame:
            return [event]
        sole = self._sole_text(adapter, frame)
        if sole is not None and st.deferred <= {(sole[0], "content", 0)}:
            return await self._sole_event(ctx, st, adapter, event, frame, sole)
        out: list[SseEvent] = []
        usage = frame.get("usage")
        # Whether ``event`` can go out as it came: most frames of prose are
        # released whole, and re-encoding them is a good share of their cost.
        as_received = True
        if isinstance(usage, dict):
            record_usage(ctx.usage, frame)
            if st.injected_usage:
                if not frame.get("choices"):
                    return []
                frame = {k: v for k, v in frame.items() if k != "usage"}
                as_received = False
        segments = adapter.frame_segments(frame)
        replacements: dict[tuple[str | int, ...], str] = {}
        withheld = bool(segments)  # every text of the frame is held back for now
        try:
            for seg in segments:
                key = _screen_key(frame, seg)
                screen = self._screen(st, key)
                if screen is None:
                    withheld = withheld and not seg.text  # unscreened text goes out as is
                    continue
                st.templates[key] = (frame, seg.path)
                released = await screen.feed(seg.text, defer=ctx.burst_more)
                replacements[seg.path] = released
                as_received = as_received and released == seg.text
                withheld = withheld and not released and seg.channel != "tool_arguments"
                if ctx.burst_more:
                    st.deferred.add(key)
                else:
                    st.deferred.discard(key)
            if st.deferred and not ctx.burst_more:
                out.extend(await self._release_deferred(st, adapter))
            finishing = [
                c.get("index", i)
                for i, c in enumerate(frame.get("choices") or [])
                if isinstance(c, dict) and c.get("finish_reason")
            ]
            for choice in finishing:
                out.extend(await self._flush(ctx, st, adapter, choice))
        except StreamBlocked as blocked:
            raise StreamStop(self._block_events(ctx, frame, blocked.error)) from None
        st.last_frame = frame
        if as_received and not _has_logprobs(frame):
            return out if _is_empty(frame) else [*out, event]
        if withheld and _is_empty(frame, text_withheld=True):
            return out  # a deferred frame of a burst: its text goes out later
        rewritten = adapter.rebuild(frame, replacements) if replacements else frame
        for choice in rewritten.get("choices") or []:
            if isinstance(choice, dict) and choice.get("logprobs") is not None:
                choice["logprobs"] = None
        if _is_empty(rewritten):
            return out
        # Flushed text must precede the frame that carries finish_reason.
        return [*out, SseEvent(data=json.dumps(rewritten))]

    async def stream_end(self, ctx: RequestContext) -> list[SseEvent]:
        """The upstream ended without ``[DONE]``: release what is still held.

        If the upstream failed (``ctx.error``), held text is dropped instead:
        it was cut short, so it may be the visible half of a match.
        """
        st: _StreamState | None = ctx.state.get(self.name)
        if st is None or ctx.adapter is None or ctx.error:
            return []
        try:
            return await self._flush(ctx, st, ctx.adapter, None)
        except StreamBlocked as blocked:
            return self._block_events(ctx, st.last_frame, blocked.error)

    async def done(self, ctx: RequestContext) -> None:
        """Close the stream's screens (work they run behind the stream stops)."""
        st: _StreamState | None = ctx.state.get(self.name)
        if st is None:
            return
        for screen in st.screens.values():
            close = getattr(screen, "close", None)  # optional for a ChannelScreen
            if close is not None:
                close()

    @staticmethod
    def _sole_text(
        adapter: ApiAdapter, frame: Any
    ) -> tuple[int, str, tuple[str | int, ...]] | None:
        """The adapter's fast answer for a one-delta frame (optional: ``sole_text``)."""
        sole = getattr(adapter, "sole_text", None)
        return None if sole is None else sole(frame)

    async def _sole_event(
        self,
        ctx: RequestContext,
        st: _StreamState,
        adapter: ApiAdapter,
        event: SseEvent,
        frame: Any,
        sole: tuple[int, str, tuple[str | int, ...]],
    ) -> list[SseEvent]:
        """:meth:`stream_event` for a frame that is one content delta and nothing else.

        The general path's outcome for such a frame, without its walk: the
        frame goes out as received when all of its text is released, is
        dropped when none is, and is rebuilt around the released part
        otherwise.
        """
        choice, text, path = sole
        key: _Key = (choice, "content", 0)
        screen = self._screen(st, key)
        if screen is None:
            return [event]
        st.templates[key] = (frame, path)
        try:
            released = await screen.feed(text, defer=ctx.burst_more)
        except StreamBlocked as blocked:
            raise StreamStop(self._block_events(ctx, frame, blocked.error)) from None
        if ctx.burst_more:
            st.deferred.add(key)
        else:
            st.deferred.discard(key)
        st.last_frame = frame
        if released == text:
            return [event]
        if not released:
            return []
        return [SseEvent(data=json.dumps(adapter.rebuild(frame, {path: released})))]

    def _screen(self, st: _StreamState, key: _Key) -> ChannelScreen | None:
        if key not in st.screens:
            choice, channel, _ = key
            st.screens[key] = st.screening.open(_direction(channel), channel, choice)
        return st.screens[key]

    async def _flush(
        self, ctx: RequestContext, st: _StreamState, adapter: ApiAdapter, choice: int | None
    ) -> list[SseEvent]:
        events: list[SseEvent] = []
        for key, screen in st.screens.items():
            if screen is None or (choice is not None and key[0] != choice):
                continue
            st.deferred.discard(key)
            text = await screen.finish()
            if text:
                events.append(_text_event(st, adapter, key, text))
        return events

    async def _release_deferred(self, st: _StreamState, adapter: ApiAdapter) -> list[SseEvent]:
        """Screen the channels a burst deferred and that its last frame did not feed."""
        events: list[SseEvent] = []
        for key in sorted(st.deferred):
            screen = st.screens.get(key)
            text = "" if screen is None else await screen.feed("")
            if text:
                events.append(_text_event(st, adapter, key, text))
        st.deferred.clear()
        return events

    def _block_events(self, ctx: RequestContext, frame: Any, error: ApiError) -> list[SseEvent]:
        ctx.decision = "block"
        ctx.state.setdefault("stream_blocked", True)
        meta = {k: v for k, v in (frame or {}).items() if k in ("id", "object", "created", "model")}
        indexes = sorted({key[0] for key in ctx.state[self.name].screens} or {0})
        legacy = ctx.adapter is not None and ctx.adapter.name == "openai_completions"
        choices = [
            {"index": i, "text": "", "finish_reason": "content_filter"}
            if legacy
            else {"index": i, "delta": {}, "finish_reason": "content_filter"}
            for i in indexes
        ]
        return [
            SseEvent(data=json.dumps({**meta, "choices": choices})),
            SseEvent(data=json.dumps(error.body())),
            SseEvent(data="[DONE]"),
        ]


class _NoScreening:
    def open(self, direction: Direction, channel: Channel, choice: int) -> ChannelScreen | None:
        return None
