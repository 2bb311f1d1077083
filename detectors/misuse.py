"""Misuse detector: harmful requests and content, scored by a calibrated linear model.

Emits ``misuse.any`` (the calibrated probability-like score of the misuse model,
max over the whole text and its windows) and, with the same score, one
``misuse.<category>`` per taxonomy category whose topic lexicon matches the
scoring span. Categories without labelled data to check them against
(``specialized_advice``, ``code_interpreter_abuse``) are not emitted.

The model is gated: a span that names no harmful topic of the taxonomy
lexicons loses ``off_topic_penalty`` margin units (an
everyday how-to question is not misuse however it is phrased); the calibration
was computed on the gated margins.

Two cascade steps follow the model: a defensively framed text ("protect my
network from ransomware") and a question *about* a harm that asks for no
instructions, content or secrecy ("what kind of drug is meth?") have their
scores halved (``DEFENSIVE_DAMPING``, ``QUESTION_DAMPING``).

Scores are calibrated on benign text (0.5 = above 99.5 % of benign calibration
texts, 0.4 = 99 %, 0.7 = 99.9 %); recommended policy thresholds: enforce at
``min_score: 0.5``, monitor at ``0.4``; 0.7 where a false positive is costly.
Register with :func:`register_learned`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from detectors._base import Finding
from detectors._learned_features import asks_about
from detectors._learned_lexicon import MISUSE_CATEGORIES, misuse_categories
from detectors._learned_model import Artifact
from detectors._learned_registry import register_learned
from detectors._learned_runtime import (
    artifact_from_options,
    best_span,
    floor_from_options,
    span_features,
)

__all__ = [
    "CATEGORIES",
    "DEFENSIVE_DAMPING",
    "QUESTION_DAMPING",
    "MisuseDetector",
    "create_misuse",
    "register_learned",
]

#: Factor applied to the score of a text framed defensively (see ``detect``).
DEFENSIVE_DAMPING = 0.5
#: Factor applied to the score of a question about a topic (see ``detect``).
QUESTION_DAMPING = 0.5

#: Taxonomy categories this detector can name.
CATEGORIES: tuple[str, ...] = tuple(sorted(MISUSE_CATEGORIES))


class MisuseDetector:
    """Detector for harmful requests (see the module docstring for kinds and scores)."""

    name = "misuse"
    kinds: frozenset[str] = frozenset({"misuse.any", *(f"misuse.{c}" for c in CATEGORIES)})
    cpu_heavy = True
    #: The models were trained on NFKC text with its letters intact: folding
    #: look-alike letters to ASCII would garble non-Latin scripts they know.
    text_view = "normalized"

    def __init__(self, artifact: Artifact, floor: float = 0.2) -> None:
        self._model = artifact.models["misuse"]
        self._floor = floor
        self.config_key = f"misuse:{artifact.meta.get('version', '?')}:{floor}"

    def warmup(self) -> None:
        """Touch the model and the feature code once (weights load at construction)."""
        span_features.cache_clear()
        self.detect("warm up the misuse detector")

    def detect(self, text: str) -> list[Finding]:
        """Findings for ``text``; nothing when the score is below the floor."""
        if not text.strip():
            return []
        best = best_span(self._model, text)
        score = best.score
        cues = span_features(text)[0].cues
        if "defensive" in cues and "covert" not in cues:
            # Cascade step: a defensive framing ("protect my network from
            # ransomware") names the same topics as an attack; the linear model
            # cannot tell them apart, so its score is halved.
            score *= DEFENSIVE_DAMPING
        if asks_about(cues):
            # Cascade step: asking *about* a harm ("what kind of drug is
            # meth?") names it as plainly as asking for it; a question that
            # asks for no instructions, content or secrecy is damped.
            score *= QUESTION_DAMPING
        if score < self._floor:
            return []
        meta = {"windowed": best.windowed}
        out = [Finding("misuse.any", score, best.start, best.end, self.name, meta)]
        for cat in misuse_categories(text[best.start : best.end]):
            out.append(Finding(f"misuse.{cat}", score, best.start, best.end, self.name, meta))
        return out


def create_misuse(options: Mapping[str, Any]) -> MisuseDetector:
    """Registry factory. Options: ``min_score`` (emission floor), ``model_path``."""
    return MisuseDetector(artifact_from_options(options), floor_from_options(options))
