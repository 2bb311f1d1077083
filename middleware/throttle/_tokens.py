"""Prompt token counting, offline, with tiktoken and vendored encodings.

tiktoken downloads its encoding files on first use; Tollgate ships them
(``encodings/*.tiktoken.gz``, about 2.4 MB, hash-checked against the hashes
tiktoken pins) and builds :class:`tiktoken.Encoding` objects itself, so
counting never touches the network. Models tiktoken maps to ``cl100k_base``
or ``o200k_base`` are counted exactly; other models are counted with
``tokens.fallback_encoding`` and flagged as an estimate (BPE vocabularies of
similar size agree within a few percent on English text; the settle step
corrects the reservation with the real usage anyway).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import gzip
import hashlib
from collections.abc import Sequence
from importlib import resources

import tiktoken
import tiktoken.model

from middleware.adapters import Segment
from middleware.throttle._config import TokenSettings

__all__ = ["ENCODINGS", "TokenCounter", "load_encoding"]

_ENDOFTEXT = "<|endoftext|>"
_ENDOFPROMPT = "<|endofprompt|>"
_O200K_PATTERN = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+|"""
    r""" ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)

#: name -> (pattern, special tokens, sha256 of the decompressed rank file).
ENCODINGS: dict[str, tuple[str, dict[str, int], str]] = {
    "cl100k_base": (
        _CL100K_PATTERN,
        {
            _ENDOFTEXT: 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            _ENDOFPROMPT: 100276,
        },
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
    "o200k_base": (
        _O200K_PATTERN,
        {_ENDOFTEXT: 199999, _ENDOFPROMPT: 200018},
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
}

# Chat framing: each message costs a few tokens beyond its text, and the reply
# is primed with a few more (OpenAI's published counting recipe).
_PER_MESSAGE = 3
_PER_REQUEST = 3


@functools.cache
def load_encoding(name: str) -> tiktoken.Encoding:
    """Build a vendored encoding, once per process (blocking: ~0.3 s the first time)."""
    pattern, special, sha256 = ENCODINGS[name]
    folder = resources.files("middleware.throttle").joinpath("encodings")
    blob = folder.joinpath(f"{name}.tiktoken.gz")
    data = gzip.decompress(blob.read_bytes())
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"vendored encoding {name} does not match its pinned hash")
    ranks = {
        base64.b64decode(token): int(rank)
        for token, rank in (line.split() for line in data.splitlines() if line)
    }
    return tiktoken.Encoding(name, pat_str=pattern, mergeable_ranks=ranks, special_tokens=special)


class TokenCounter:
    """Counts prompt tokens per model; encodings load once (see :meth:`load`)."""

    def __init__(self, settings: TokenSettings) -> None:
        self.settings = settings
        self._encodings: dict[str, tiktoken.Encoding] = {}
        self._lock = asyncio.Lock()

    def loaded(self) -> list[str]:
        """Names of the encodings this counter has loaded."""
        return sorted(self._encodings)

    async def ensure_loaded(self, names: Sequence[str] | None = None) -> None:
        """Load encodings (default: ``tokens.preload``) in a worker thread, once each.

        Each loaded encoding costs ~35-110 MB of memory, so only what the
        deployment's models use is loaded: the rest on first use.
        """
        for name in self.settings.preload if names is None else names:
            if name in self._encodings:
                continue
            async with self._lock:
                if name not in self._encodings:
                    self._encodings[name] = await asyncio.to_thread(load_encoding, name)

    def encoding_name(self, model: str | None) -> tuple[str, bool]:
        """``(encoding, exact)`` for ``model``; unknown models get the fallback."""
        if model:
            try:
                name = tiktoken.model.encoding_name_for_model(model)
            except KeyError:
                name = ""
            if name.startswith("o200k"):
                return "o200k_base", True
            if name == "cl100k_base":
                return name, True
        return self.settings.fallback_encoding, False

    def count(self, text: str, model: str | None = None) -> int:
        """Tokens in ``text`` for ``model`` (special-token strings count as text)."""
        name, _ = self.encoding_name(model)
        if name not in self._encodings:
            self._encodings[name] = load_encoding(name)
        return len(self._encodings[name].encode_ordinary(text))

    async def count_prompt(self, segments: Sequence[Segment], model: str | None) -> int:
        """Prompt tokens of a request's input segments, with chat framing.

        Long prompts are tokenized in a worker thread (tiktoken releases the
        GIL) so the event loop never stalls on a huge request.
        """
        await self.ensure_loaded([self.encoding_name(model)[0]])
        texts = [s.text for s in segments]
        size = sum(len(t) for t in texts)
        if size > self.settings.offload_chars:
            tokens = await asyncio.to_thread(lambda: sum(self.count(t, model) for t in texts))
        else:
            tokens = sum(self.count(t, model) for t in texts)
        return tokens + _PER_MESSAGE * len(texts) + (_PER_REQUEST if texts else 0)
