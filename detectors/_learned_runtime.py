"""Shared run-time plumbing of the learned detectors: feature cache, span scoring, registry.

The three detectors (misuse, injection, jailbreak) score the same text, so the
features of a text and of its windows are computed once and cached (LRU, keyed
by the text itself; thread-safe through ``functools.lru_cache``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from detectors._learned_features import (
    SparseVec,
    analyse,
    span_cues,
    span_topical,
    span_vector,
    windows,
)
from detectors._learned_model import Artifact, LinearModel, load_artifact

__all__ = [
    "SpanFeatures",
    "SpanScore",
    "artifact_from_options",
    "best_span",
    "compute_spans",
    "floor_from_options",
    "span_features",
]


@dataclass(frozen=True, slots=True)
class SpanScore:
    """The best calibrated score of a model over a text and where it was found."""

    score: float
    start: int
    end: int
    windowed: bool


@dataclass(frozen=True, slots=True)
class SpanFeatures:
    """One scored span: offsets, feature vector, structural cue counts, topic presence."""

    start: int
    end: int
    vec: SparseVec
    cues: Mapping[str, int]
    #: Whether the span names a harmful topic (the gate of
    #: :attr:`LinearModel.off_topic_penalty`).
    topical: bool = True


def compute_spans(text: str) -> tuple[SpanFeatures, ...]:
    """Features of the whole text, then of each window when the text is long (uncached)."""
    a = analyse(text)
    spans = windows(text)
    bounds = [(0, len(text)), *(spans if len(spans) > 1 else [])]
    return tuple(
        SpanFeatures(s, e, span_vector(a, s, e), span_cues(a, s, e), span_topical(a, s, e))
        for s, e in bounds
    )


@lru_cache(maxsize=512)
def span_features(text: str) -> tuple[SpanFeatures, ...]:
    """:func:`compute_spans`, cached: the three detectors score the same text."""
    return compute_spans(text)


def best_span(model: LinearModel, text: str) -> SpanScore:
    """Max calibrated score over the whole text and its windows (whole text wins ties)."""
    best = SpanScore(0.0, 0, len(text), False)
    for i, span in enumerate(span_features(text)):
        score = model.score(span.vec, span.topical)
        if score > best.score:
            best = SpanScore(score, span.start, span.end, i > 0)
    return best


def artifact_from_options(options: Mapping[str, Any]) -> Artifact:
    """The artifact named by ``options["model_path"]``, else the shipped one."""
    path = options.get("model_path")
    return load_artifact(str(path) if path else None)


def floor_from_options(options: Mapping[str, Any], default: float = 0.2) -> float:
    """``options["min_score"]``: findings scoring below it are not emitted."""
    value = float(options.get("min_score", default))
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"min_score {value} outside [0, 1]")
    return value
