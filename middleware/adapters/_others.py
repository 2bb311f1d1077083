"""The other dialects: reasoning-model (muse) completions, legacy completions,
embeddings, and the read-only models listing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from middleware.adapters._base import AdapterError, ParsedRequest, Segment
from middleware.adapters._chat import OpenAIChatAdapter, message_segments
from middleware.adapters._fields import (
    opt_bool,
    opt_int,
    opt_number,
    rebuild_copy,
    req_str,
)

__all__ = [
    "EmbeddingsAdapter",
    "LegacyCompletionsAdapter",
    "ModelsAdapter",
    "MuseCompletionsAdapter",
]


class MuseCompletionsAdapter(OpenAIChatAdapter):
    """The managed reasoning API: ``POST /v1/muse/completions``.

    Body: ``model``, ``messages`` (chat shape), ``reasoning_budget`` (one of
    low/medium/high/maximum), ``temperature``, ``stream``, ``max_tokens``.
    Responses are chat-shaped with the reasoning text in ``reasoning``.
    """

    name = "muse_completions"
    path = "/v1/muse/completions"
    reasoning_keys = ("reasoning", "reasoning_content")
    budget_field = "reasoning_budget"

    def parse_request(self, body: Any) -> ParsedRequest:
        """Validate a muse request; ``reasoning_budget`` is checked against the levels."""
        model = req_str(body, "model")
        if "messages" not in body:
            raise AdapterError("Missing required parameter: 'messages'.", param="messages")
        segments = message_segments(body["messages"])
        opt_number(body, "temperature", low=0.0, high=2.0)
        return ParsedRequest(
            route=self.name,
            model=model,
            stream=opt_bool(body, "stream"),
            segments=segments,
            max_tokens=opt_int(body, "max_tokens"),
            reasoning_budget=self._budget(body),
        )


class LegacyCompletionsAdapter:
    """OpenAI's legacy completions: ``POST /v1/completions`` (prompt in, text out).

    A prompt given as token ids cannot be screened as text; it is reported in
    ``extra["unscreened_tokens"]`` so a policy can refuse it.
    """

    name = "openai_completions"
    path = "/v1/completions"
    method = "POST"
    streams = True
    screens_output = True

    def parse_request(self, body: Any) -> ParsedRequest:
        """Validate a completions request and extract prompt segments."""
        model = req_str(body, "model")
        prompt = body.get("prompt")
        segs: list[Segment] = []
        unscreened = False
        if isinstance(prompt, str):
            if prompt:
                segs.append(Segment("user", prompt, 0, ("prompt",)))
        elif isinstance(prompt, list):
            for i, item in enumerate(prompt):
                if isinstance(item, str):
                    if item:
                        segs.append(Segment("user", item, len(segs), ("prompt", i)))
                elif isinstance(item, int | list) and not isinstance(item, bool):
                    unscreened = True
                else:
                    raise AdapterError(
                        f"'prompt[{i}]' must be a string or token ids.", param=f"prompt[{i}]"
                    )
        elif prompt is None:
            raise AdapterError("Missing required parameter: 'prompt'.", param="prompt")
        else:
            raise AdapterError("'prompt' must be a string or an array.", param="prompt")
        if isinstance(body.get("suffix"), str) and body["suffix"]:
            segs.append(Segment("user", body["suffix"], len(segs), ("suffix",)))
        opt_number(body, "temperature", low=0.0, high=2.0)
        return ParsedRequest(
            route=self.name,
            model=model,
            stream=opt_bool(body, "stream"),
            segments=tuple(segs),
            max_tokens=opt_int(body, "max_tokens"),
            extra={"unscreened_tokens": unscreened},
        )

    def response_segments(self, body: Any) -> list[Segment]:
        """``choices[*].text``."""
        segs: list[Segment] = []
        choices = body.get("choices") if isinstance(body, dict) else None
        for pos, choice in enumerate(choices if isinstance(choices, list) else []):
            if isinstance(choice, dict) and isinstance(choice.get("text"), str):
                idx = choice.get("index", pos)
                idx = idx if isinstance(idx, int) else pos
                if choice["text"]:
                    path = ("choices", pos, "text")
                    segs.append(Segment("assistant", choice["text"], len(segs), path, choice=idx))
        return segs

    def frame_segments(self, frame: Any) -> list[Segment]:
        """Streamed chunks have the same shape as responses."""
        return self.response_segments(frame)

    def rebuild(self, body: Any, replacements: Mapping[tuple[str | int, ...], str]) -> Any:
        """A copy of ``body`` with replaced texts."""
        return rebuild_copy(body, replacements)

    def set_reasoning_budget(self, body: Any, level: str) -> Any:
        """Legacy completions have no reasoning budget: unchanged."""
        return body


class EmbeddingsAdapter:
    """``POST /v1/embeddings``: input text is screened; output is vectors only."""

    name = "openai_embeddings"
    path = "/v1/embeddings"
    method = "POST"
    streams = False
    screens_output = False

    def parse_request(self, body: Any) -> ParsedRequest:
        """Validate an embeddings request and extract its input strings."""
        model = req_str(body, "model")
        value = body.get("input")
        segs: list[Segment] = []
        unscreened = False
        if isinstance(value, str):
            segs.append(Segment("user", value, 0, ("input",)))
        elif isinstance(value, list) and value:
            for i, item in enumerate(value):
                if isinstance(item, str):
                    segs.append(Segment("user", item, len(segs), ("input", i)))
                elif isinstance(item, int | list) and not isinstance(item, bool):
                    unscreened = True
                else:
                    raise AdapterError(
                        f"'input[{i}]' must be a string or token ids.", param=f"input[{i}]"
                    )
        elif value is None:
            raise AdapterError("Missing required parameter: 'input'.", param="input")
        else:
            raise AdapterError("'input' must be a string or a non-empty array.", param="input")
        return ParsedRequest(
            route=self.name,
            model=model,
            stream=False,
            segments=tuple(s for s in segs if s.text),
            extra={"unscreened_tokens": unscreened},
        )

    def response_segments(self, body: Any) -> list[Segment]:
        """Embeddings carry no text."""
        return []

    def frame_segments(self, frame: Any) -> list[Segment]:
        """Embeddings do not stream."""
        return []

    def rebuild(self, body: Any, replacements: Mapping[tuple[str | int, ...], str]) -> Any:
        """A copy of ``body`` with replaced inputs."""
        return rebuild_copy(body, replacements)

    def set_reasoning_budget(self, body: Any, level: str) -> Any:
        """No reasoning budget: unchanged."""
        return body


class ModelsAdapter(EmbeddingsAdapter):
    """``GET /v1/models``: passed through, nothing to screen."""

    name = "openai_models"
    path = "/v1/models"
    method = "GET"

    def parse_request(self, body: Any) -> ParsedRequest:
        """GET requests have no body to screen."""
        return ParsedRequest(route=self.name, model=None, stream=False, segments=())
