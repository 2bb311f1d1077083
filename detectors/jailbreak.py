"""Jailbreak detector: templates, role-play unlocks, refusal suppression, many-shot, suffixes.

Kinds:

* ``jailbreak.template`` -- max of a hand-weighted cue score (persona + "no
  restrictions" + "never refuse" + "stay in character"...), which also covers
  template families absent from the training data, and the learned jailbreak
  model (calibrated on benign text), which counts only when at least
  ``LEARNED_MIN_FAMILIES`` unlock techniques are present;
* ``jailbreak.roleplay`` / ``jailbreak.refusal_suppression`` -- the template
  score, emitted when persona or refusal-suppression cues are present;
* ``jailbreak.many_shot`` -- ``min(1, turns / 16)`` for scripted dialogue turns;
* ``jailbreak.adversarial_suffix`` -- share of glued word/punctuation tokens in
  the worst 12-token run of the last 60 tokens (optimised suffixes); texts
  that look like code score 0. Emitted from 0.5.

Recommended thresholds: ``jailbreak.template`` enforce at 0.5, monitor at 0.4;
``jailbreak.many_shot`` monitor at 0.5 (8 turns); ``jailbreak.adversarial_suffix``
monitor at 0.6. Register with :func:`register_learned`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from detectors._base import Finding
from detectors._learned_heuristics import (
    JAILBREAK_ANCHORS,
    adversarial_suffix,
    jailbreak_families,
    jailbreak_heuristic,
    many_shot_turns,
)
from detectors._learned_model import Artifact, calibrate
from detectors._learned_registry import register_learned
from detectors._learned_runtime import (
    artifact_from_options,
    best_span,
    floor_from_options,
    span_features,
)

__all__ = ["LEARNED_MIN_FAMILIES", "JailbreakDetector", "create_jailbreak", "register_learned"]

#: Distinct jailbreak techniques a text needs before the learned model counts.
LEARNED_MIN_FAMILIES = 2

_ROLEPLAY = ("persona", "fiction_frame", "evil_persona", "in_character")
_REFUSAL = ("never_refuse", "no_disclaimers", "no_limits")


class JailbreakDetector:
    """Detector for jailbreak prompts (see the module docstring for kinds and scores)."""

    name = "jailbreak"
    kinds: frozenset[str] = frozenset(
        {
            "jailbreak.template",
            "jailbreak.roleplay",
            "jailbreak.refusal_suppression",
            "jailbreak.many_shot",
            "jailbreak.adversarial_suffix",
        }
    )
    cpu_heavy = True
    #: The models were trained on NFKC text with its letters intact: folding
    #: look-alike letters to ASCII would garble non-Latin scripts they know.
    text_view = "normalized"

    def __init__(self, artifact: Artifact, floor: float = 0.2) -> None:
        self._model = artifact.models["jailbreak"]
        self._floor = floor
        self.config_key = f"jailbreak:{artifact.meta.get('version', '?')}:{floor}"

    def warmup(self) -> None:
        """Run once so the feature code and caches are ready."""
        span_features.cache_clear()
        self.detect("warm up the jailbreak detector")

    def template_score(self, text: str) -> tuple[float, int, int]:
        """The ``jailbreak.template`` score and its span."""
        cues = span_features(text)[0].cues
        heur = calibrate(jailbreak_heuristic(cues), JAILBREAK_ANCHORS)
        if jailbreak_families(cues) < LEARNED_MIN_FAMILIES:
            # The learned model alone over-reads personas ("act as a travel
            # guide") and single trigger words ("uncensored"): it only counts
            # when unlock techniques are present.
            return heur, 0, len(text)
        best = best_span(self._model, text)
        if heur >= best.score:
            return heur, 0, len(text)
        return best.score, best.start, best.end

    def detect(self, text: str) -> list[Finding]:
        """Findings for ``text``; each kind only when its score reaches the floor."""
        if not text.strip():
            return []
        out: list[Finding] = []
        score, start, end = self.template_score(text)
        if score >= self._floor:
            out.append(Finding("jailbreak.template", score, start, end, self.name))
            cues = span_features(text)[0].cues
            if any(c in cues for c in _ROLEPLAY):
                out.append(Finding("jailbreak.roleplay", score, start, end, self.name))
            if any(c in cues for c in _REFUSAL):
                out.append(Finding("jailbreak.refusal_suppression", score, start, end, self.name))
        shots = min(1.0, many_shot_turns(text) / 16.0)
        if shots >= self._floor:
            out.append(Finding("jailbreak.many_shot", shots, 0, len(text), self.name))
        odd, at = adversarial_suffix(text)
        if odd >= max(self._floor, 0.5):
            out.append(Finding("jailbreak.adversarial_suffix", odd, at, len(text), self.name))
        return out


def create_jailbreak(options: Mapping[str, Any]) -> JailbreakDetector:
    """Registry factory. Options: ``min_score`` (emission floor), ``model_path``."""
    return JailbreakDetector(artifact_from_options(options), floor_from_options(options))
