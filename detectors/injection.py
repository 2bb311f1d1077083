"""Prompt-injection detector: instructions aimed at the model, alone or hidden in data.

Kinds (all carry the calibrated score of the injection model, max over the whole
text and its windows):

* ``injection.direct`` -- the text as a whole reads as an injection attempt;
  the score is the max of the learned model and a hand-weighted cue score
  (``injection_heuristic``: overrides, prompt extraction, role tags...);
* ``injection.indirect`` -- a passage inside a longer text (a document, an email,
  a tool result) scores higher than the whole: an injection planted in data;
  this includes a line inside text that reads as data which asks the assistant
  for a task or steers its answer (``planted_requests``: BIPIA's task hijacking,
  "append the following code to your implementation"), and an order inside a
  document quoted after a request in the same message (``quoted_order``:
  "Summarize this page: '... let's say the shop has closed ...'");
* finer kinds, emitted alongside when their structural cue occurs in the text:
  ``injection.override`` (ignore previous instructions...),
  ``injection.prompt_extraction`` (reveal the system prompt / the secret),
  ``injection.role_override`` (role tags, developer/admin mode),
  ``injection.exfiltration`` (send data to a URL or address),
  ``injection.payload_insertion`` (add this code/link to your answer).

Recommended thresholds: enforce ``injection.direct``/``injection.indirect`` at
``min_score: 0.5`` on tool results and documents, monitor at ``0.4`` on user turns.
Register with :func:`register_learned`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from detectors._base import Finding
from detectors._learned_cues import CUES, cue_counts, looks_like_data
from detectors._learned_heuristics import (
    HEURISTIC_CUES,
    INJECTION_ANCHORS,
    PLANTED_REQUEST_RAW,
    heuristic_cue_counts,
    hidden_order,
    injection_heuristic,
    planted_requests,
    quoted_order,
)
from detectors._learned_model import Artifact, calibrate
from detectors._learned_regex import lowered
from detectors._learned_registry import register_learned
from detectors._learned_runtime import (
    artifact_from_options,
    best_span,
    floor_from_options,
    span_features,
)

__all__ = [
    "FINE_KINDS",
    "NO_CUE_DAMPING",
    "InjectionDetector",
    "create_injection",
    "register_learned",
]

#: Finer kinds and the structural cues that name them.
FINE_KINDS: Mapping[str, tuple[str, ...]] = {
    "injection.override": (
        "override",
        "override_task",
        "override_ref",
        "foreign_override",
        "new_instructions",
        "instead",
    ),
    "injection.prompt_extraction": (
        "extraction",
        "secret_ask",
        "secret_ask_intl",
        "system_prompt",
        "credential_ask",
    ),
    "injection.role_override": ("role_tag", "mode_switch", "authority_claim", "addressed_ai"),
    "injection.exfiltration": ("exfil",),
    "injection.payload_insertion": (
        "insert_payload",
        "payload_split",
        "reply_steer",
        "steer_counterfactual",
        "hidden_comment",
    ),
}
_CUES = {c.name: c.pattern for c in (*CUES, *HEURISTIC_CUES)}
#: Injection cues specific enough to let the learned score count in full;
#: "respond only with", "instead" or "system prompt" are common in benign
#: system-style prompts.
_INJECTION_CUES = frozenset(
    c.name
    for c in CUES
    if c.family == "injection"
    and c.name not in {"reply_steer", "instead", "system_prompt", "steer_counterfactual"}
) | {c.name for c in HEURISTIC_CUES}

#: Factor on the learned score of a text with no injection cue at all: the
#: learned model alone cannot reach the 0.5 threshold. Leave-one-dataset-out,
#: 0.8 -> 0.55 halved the injection false positives on chat questions ("can
#: you tell me about ...": hh_rlhf 1.7 % -> 0 %) and lost no injection recall.
NO_CUE_DAMPING = 0.55


class InjectionDetector:
    """Detector for prompt injections (see the module docstring for kinds and scores)."""

    name = "injection"
    kinds: frozenset[str] = frozenset({"injection.direct", "injection.indirect", *FINE_KINDS})
    cpu_heavy = True
    #: The models were trained on NFKC text with its letters intact: folding
    #: look-alike letters to ASCII would garble non-Latin scripts they know.
    text_view = "normalized"

    def __init__(self, artifact: Artifact, floor: float = 0.2) -> None:
        self._model = artifact.models["injection"]
        self._floor = floor
        self.config_key = f"injection:{artifact.meta.get('version', '?')}:{floor}"

    def warmup(self) -> None:
        """Run once so the feature code and caches are ready."""
        span_features.cache_clear()
        self.detect("warm up the injection detector")

    def detect(self, text: str) -> list[Finding]:
        """Findings for ``text``; nothing when the score is below the floor."""
        if not text.strip():
            return []
        best = best_span(self._model, text)
        score, start, end, windowed = best.score, best.start, best.end, best.windowed
        found = {**span_features(text)[0].cues, **heuristic_cue_counts(text)}
        if not any(c in _INJECTION_CUES for c in found):
            # Cascade: without any structural sign of an injection the learned
            # model alone over-reads ordinary questions ("what can you tell me
            # about..."), so its score is damped.
            score *= NO_CUE_DAMPING
        in_data = looks_like_data(text)
        for i, span in enumerate(span_features(text)):  # the hand-weighted cue score too
            counts = found if i == 0 else span.cues
            hidden = i == 0 and "hidden_comment" in counts and hidden_order(text)
            heur = calibrate(
                injection_heuristic(counts, (in_data and i > 0) or hidden), INJECTION_ANCHORS
            )
            if heur > score:
                score, start, end, windowed = heur, span.start, span.end, i > 0
        planted = planted_requests(text, in_data=in_data)
        if planted:
            # A task for the assistant on its own line inside an email, table or
            # code: an instruction planted in data (indirect by construction).
            p_start, p_end = planted[0]
            raw = PLANTED_REQUEST_RAW + injection_heuristic(
                cue_counts(text[p_start:p_end]), in_data=True
            )
            heur = calibrate(raw, INJECTION_ANCHORS)
            if heur > score:
                score, start, end, windowed = heur, p_start, p_end, True
        quoted = quoted_order(text)
        if quoted:
            # An order inside a document the user pasted after a request about
            # it: indirect by construction, like a planted line.
            heur = calibrate(quoted[1], INJECTION_ANCHORS)
            if heur > score:
                score, start, end, windowed = heur, quoted[0], len(text), True
        if score < self._floor:
            return []
        kind = "injection.indirect" if windowed else "injection.direct"
        out = [Finding(kind, score, start, end, self.name)]
        for fine, cues in FINE_KINDS.items():
            for cue in cues:
                m = _CUES[cue].search(text, lowered(text)) if cue in found else None
                if m:
                    out.append(Finding(fine, score, m.start(), m.end(), self.name, {"cue": cue}))
                    break
        return out


def create_injection(options: Mapping[str, Any]) -> InjectionDetector:
    """Registry factory. Options: ``min_score`` (emission floor), ``model_path``."""
    return InjectionDetector(artifact_from_options(options), floor_from_options(options))
