"""API adapters: one per dialect, behind :class:`ApiAdapter` and one registry."""

from __future__ import annotations

from collections.abc import Iterable

from middleware.adapters._base import (
    REASONING_LEVELS,
    AdapterError,
    ApiAdapter,
    Channel,
    Direction,
    ParsedRequest,
    Segment,
)
from middleware.adapters._chat import OpenAIChatAdapter
from middleware.adapters._others import (
    EmbeddingsAdapter,
    LegacyCompletionsAdapter,
    ModelsAdapter,
    MuseCompletionsAdapter,
)

__all__ = [
    "REASONING_LEVELS",
    "AdapterError",
    "AdapterRegistry",
    "ApiAdapter",
    "Channel",
    "Direction",
    "EmbeddingsAdapter",
    "LegacyCompletionsAdapter",
    "ModelsAdapter",
    "MuseCompletionsAdapter",
    "OpenAIChatAdapter",
    "ParsedRequest",
    "Segment",
    "default_adapters",
]


class AdapterRegistry:
    """The routes Tollgate serves: ``(method, path)`` to adapter.

    Immutable after construction; build a new registry to change routes.
    """

    def __init__(self, adapters: Iterable[ApiAdapter]) -> None:
        self._by_route: dict[tuple[str, str], ApiAdapter] = {}
        self._by_name: dict[str, ApiAdapter] = {}
        for adapter in adapters:
            key = (adapter.method.upper(), adapter.path)
            if key in self._by_route:
                raise ValueError(f"two adapters for {key[0]} {key[1]}")
            self._by_route[key] = adapter
            self._by_name[adapter.name] = adapter
        self._paths = frozenset(path for _, path in self._by_route)

    def match(self, method: str, path: str) -> ApiAdapter | None:
        """The adapter for ``method path``; ``/v1/models/{id}`` maps to the models route."""
        found = self._by_route.get((method.upper(), path))
        if found is None and method.upper() == "GET" and path.startswith("/v1/models/"):
            found = self._by_route.get(("GET", "/v1/models"))
        return found

    def knows_path(self, path: str) -> bool:
        """Whether some adapter serves ``path`` (with another method)."""
        return path in self._paths

    def by_name(self, name: str) -> ApiAdapter:
        """The adapter named ``name`` (``KeyError`` if none)."""
        return self._by_name[name]

    def names(self) -> list[str]:
        """Adapter names, sorted (metric label values)."""
        return sorted(self._by_name)


def default_adapters(disabled: Iterable[str] = ()) -> AdapterRegistry:
    """The built-in adapters minus those named in ``disabled``."""
    off = set(disabled)
    builtin: list[ApiAdapter] = [
        OpenAIChatAdapter(),
        MuseCompletionsAdapter(),
        LegacyCompletionsAdapter(),
        EmbeddingsAdapter(),
        ModelsAdapter(),
    ]
    return AdapterRegistry(a for a in builtin if a.name not in off)
