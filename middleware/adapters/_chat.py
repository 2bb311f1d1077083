"""OpenAI chat completions: ``POST /v1/chat/completions`` (JSON and SSE)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from middleware.adapters._base import (
    REASONING_LEVELS,
    AdapterError,
    Channel,
    ParsedRequest,
    Segment,
)
from middleware.adapters._fields import opt_bool, opt_int, opt_number, rebuild_copy, req_str

__all__ = ["OpenAIChatAdapter", "message_segments"]

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})


def message_segments(messages: Any, param: str = "messages") -> tuple[Segment, ...]:
    """Validate a chat ``messages`` array and extract one segment per text part.

    Content may be a string, ``null`` (assistant tool calls) or a list of
    parts; text parts are screened, other part types (images, audio) are
    passed on unscreened. Tool-call arguments are screened as their own
    channel: they are model output echoed back as input.
    """
    if not isinstance(messages, list):
        raise AdapterError(f"'{param}' must be an array of message objects.", param=param)
    if not messages:
        raise AdapterError(f"'{param}' must contain at least one message.", param=param)
    segs: list[Segment] = []

    def add(role: str, text: str, path: tuple[str | int, ...], channel: Channel) -> None:
        if text:
            segs.append(Segment(role, text, len(segs), path, channel))

    for i, msg in enumerate(messages):
        where = f"{param}[{i}]"
        if not isinstance(msg, dict):
            raise AdapterError(f"'{where}' must be an object.", param=where)
        role = msg.get("role")
        if not isinstance(role, str) or role not in _ROLES:
            raise AdapterError(
                f"'{where}.role' must be one of {', '.join(sorted(_ROLES))}.",
                param=f"{where}.role",
            )
        content = msg.get("content")
        if isinstance(content, str):
            add(role, content, (param, i, "content"), "content")
        elif isinstance(content, list):
            for j, part in enumerate(content):
                if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                    raise AdapterError(
                        f"'{where}.content[{j}]' must be an object with a 'type'.",
                        param=f"{where}.content[{j}]",
                    )
                if part["type"] == "text":
                    text = part.get("text")
                    if not isinstance(text, str):
                        raise AdapterError(
                            f"'{where}.content[{j}].text' must be a string.",
                            param=f"{where}.content[{j}].text",
                        )
                    add(role, text, (param, i, "content", j, "text"), "content")
        elif content is not None:
            raise AdapterError(
                f"'{where}.content' must be a string, an array of parts or null.",
                param=f"{where}.content",
            )
        calls = msg.get("tool_calls")
        if isinstance(calls, list):
            for k, call in enumerate(calls):
                fn = call.get("function") if isinstance(call, dict) else None
                args = fn.get("arguments") if isinstance(fn, dict) else None
                if isinstance(args, str):
                    path = (param, i, "tool_calls", k, "function", "arguments")
                    add(role, args, path, "tool_arguments")
    return tuple(segs)


def choice_segments(body: Any, key: str, reasoning_keys: tuple[str, ...]) -> list[Segment]:
    """Output segments of ``choices[*].<key>`` (``message`` or ``delta``)."""
    segs: list[Segment] = []
    choices = body.get("choices") if isinstance(body, dict) else None
    if not isinstance(choices, list):
        return segs
    for pos, choice in enumerate(choices):
        if not isinstance(choice, dict):
            continue
        idx = choice.get("index", pos)
        idx = idx if isinstance(idx, int) else pos
        msg = choice.get(key)
        if not isinstance(msg, dict):
            continue

        def add(text: Any, path: tuple[str | int, ...], channel: Channel, idx: int = idx) -> None:
            if isinstance(text, str) and text:
                segs.append(Segment("assistant", text, len(segs), path, channel, idx))

        add(msg.get("content"), ("choices", pos, key, "content"), "content")
        for rkey in reasoning_keys:
            add(msg.get(rkey), ("choices", pos, key, rkey), "reasoning")
        calls = msg.get("tool_calls")
        if isinstance(calls, list):
            for k, call in enumerate(calls):
                fn = call.get("function") if isinstance(call, dict) else None
                if isinstance(fn, dict):
                    path = ("choices", pos, key, "tool_calls", k, "function", "arguments")
                    add(fn.get("arguments"), path, "tool_arguments")
    return segs


_CONTENT_PATH: tuple[str | int, ...] = ("choices", 0, "delta", "content")


class OpenAIChatAdapter:
    """OpenAI's chat completions API.

    ``reasoning_effort`` (low/medium/high) is reported as the reasoning budget.
    """

    name = "openai_chat"
    path = "/v1/chat/completions"
    method = "POST"
    streams = True
    screens_output = True
    reasoning_keys: tuple[str, ...] = ("reasoning_content", "reasoning")
    budget_field = "reasoning_effort"

    def parse_request(self, body: Any) -> ParsedRequest:
        """Validate a chat request body and extract its message segments."""
        model = req_str(body, "model")
        if "messages" not in body:
            raise AdapterError("Missing required parameter: 'messages'.", param="messages")
        segments = message_segments(body["messages"])
        max_tokens = opt_int(body, "max_completion_tokens") or opt_int(body, "max_tokens")
        opt_number(body, "temperature", low=0.0, high=2.0)
        return ParsedRequest(
            route=self.name,
            model=model,
            stream=opt_bool(body, "stream"),
            segments=segments,
            max_tokens=max_tokens,
            reasoning_budget=self._budget(body),
        )

    def _budget(self, body: Mapping[str, Any]) -> str | None:
        value = body.get(self.budget_field)
        if value is None:
            return None
        if not isinstance(value, str) or value not in REASONING_LEVELS:
            raise AdapterError(
                f"'{self.budget_field}' must be one of {', '.join(REASONING_LEVELS)}.",
                param=self.budget_field,
            )
        return value

    def response_segments(self, body: Any) -> list[Segment]:
        """Segments of each choice's message: content, reasoning, tool arguments."""
        return choice_segments(body, "message", self.reasoning_keys)

    def frame_segments(self, frame: Any) -> list[Segment]:
        """Deltas of one streamed chunk."""
        return choice_segments(frame, "delta", self.reasoning_keys)

    def sole_text(self, frame: Any) -> tuple[int, str, tuple[str | int, ...]] | None:
        """``(choice, text, path)`` of a frame that is one plain content delta, else ``None``.

        Most frames of a streamed answer are exactly that (one choice, a
        ``delta`` with only ``content``, no ``finish_reason``, ``logprobs`` or
        ``usage``); the stream screener then skips the general walk of
        :meth:`frame_segments`, whose answer for such a frame this equals.
        """
        if frame.get("usage") is not None:
            return None
        choices = frame.get("choices")
        if type(choices) is not list or len(choices) != 1:
            return None
        choice = choices[0]
        if (
            type(choice) is not dict
            or choice.get("finish_reason") is not None
            or choice.get("logprobs") is not None
        ):
            return None
        delta = choice.get("delta")
        if type(delta) is not dict or len(delta) != 1:
            return None
        text = delta.get("content")
        if type(text) is not str or not text:
            return None
        idx = choice.get("index", 0)
        return (idx if isinstance(idx, int) else 0), text, _CONTENT_PATH

    def rebuild(self, body: Any, replacements: Mapping[tuple[str | int, ...], str]) -> Any:
        """A copy of ``body`` with replaced texts."""
        return rebuild_copy(body, replacements)

    def set_reasoning_budget(self, body: Any, level: str) -> Any:
        """A copy of ``body`` with the budget field set to ``level``."""
        out = copy.copy(body)
        out[self.budget_field] = level
        return out
