"""Run-time linear models of the learned detectors: load, score, calibrate.

The shipped artifact ``detectors/models/learned.json`` holds, per model, int8
weights over the hashed feature space of :mod:`detectors._learned_features`
(base64), their scale, a bias and calibration anchors. Scoring is a sparse dot
product in pure Python over a stdlib ``array`` -- no numpy, no scikit-learn and
no network at run time.

Scores are calibrated on benign text: ``ANCHOR_QUANTILES[i]`` of the benign
calibration margins maps to ``ANCHOR_SCORES[i]``, so a score of 0.5 means "above
99.5 % of benign calibration texts" and 0.4 "above 99 %".
"""

from __future__ import annotations

import base64
import itertools
import json
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from detectors._learned_features import DIM_BITS, SparseVec

__all__ = [
    "ANCHOR_QUANTILES",
    "ANCHOR_SCORES",
    "Artifact",
    "LinearModel",
    "calibrate",
    "dequantise",
    "load_artifact",
    "quantise",
]

ANCHOR_QUANTILES = (0.5, 0.9, 0.99, 0.995, 0.999)
ANCHOR_SCORES = (0.05, 0.2, 0.4, 0.5, 0.7)
ARTIFACT = "learned.json"


def quantise(weights: Sequence[float]) -> tuple[bytes, float]:
    """Symmetric int8 quantisation: returns the bytes and the scale."""
    top = max((abs(w) for w in weights), default=0.0) or 1.0
    scale = top / 127.0
    q = array("b", (max(-127, min(127, round(w / scale))) for w in weights))
    return q.tobytes(), scale


def dequantise(raw: bytes, scale: float) -> list[float]:
    """Inverse of :func:`quantise` (what the run time effectively uses)."""
    return [v * scale for v in array("b", raw)]


def calibrate(raw: float, anchors: Sequence[tuple[float, float]]) -> float:
    """Piecewise-linear monotone map of a raw margin onto ``[0, 1]``."""
    if raw <= anchors[0][0]:
        x0, s0 = anchors[0]
        return max(0.0, s0 * (1.0 - min(1.0, (x0 - raw) / 4.0)))
    for (x0, s0), (x1, s1) in itertools.pairwise(anchors):
        if raw <= x1:
            return s0 + (s1 - s0) * (raw - x0) / (x1 - x0)
    return 1.0


@dataclass(frozen=True, slots=True)
class LinearModel:
    """One calibrated linear model over hashed features."""

    name: str
    weights: array[int]
    scale: float
    bias: float
    anchors: tuple[tuple[float, float], ...]
    #: Subtracted from the margin of a span that names no harmful topic (a
    #: cascade gate; 0 = no gate). The calibration anchors were computed on
    #: gated margins.
    off_topic_penalty: float = 0.0

    def margin(self, vec: SparseVec, topical: bool = True) -> float:
        """Raw margin ``w . x + b`` (minus the off-topic penalty when ``topical`` is false)."""
        w = self.weights
        raw = self.scale * sum(w[k] * v for k, v in vec.items()) + self.bias
        return raw if topical else raw - self.off_topic_penalty

    def score(self, vec: SparseVec, topical: bool = True) -> float:
        """Calibrated score in ``[0, 1]``."""
        return calibrate(self.margin(vec, topical), self.anchors)

    @classmethod
    def from_json(cls, name: str, obj: Mapping[str, Any]) -> LinearModel:
        """Build from the artifact's JSON object for one model."""
        weights = array("b", base64.b64decode(obj["weights"]))
        if len(weights) != 1 << DIM_BITS:
            raise ValueError(f"model {name}: {len(weights)} weights, expected {1 << DIM_BITS}")
        anchors = tuple((float(x), float(s)) for x, s in obj["anchors"])
        penalty = float(obj.get("off_topic_penalty", 0.0))
        return cls(name, weights, float(obj["scale"]), float(obj["bias"]), anchors, penalty)

    def to_json(self) -> dict[str, Any]:
        """The artifact's JSON object for this model."""
        return {
            "scale": self.scale,
            "bias": self.bias,
            "anchors": [list(a) for a in self.anchors],
            "off_topic_penalty": self.off_topic_penalty,
            "weights": base64.b64encode(self.weights.tobytes()).decode("ascii"),
        }


@dataclass(frozen=True, slots=True)
class Artifact:
    """Everything the learned detectors load: models plus metadata."""

    models: Mapping[str, LinearModel]
    meta: Mapping[str, Any]


@lru_cache(maxsize=4)
def load_artifact(path: str | None = None) -> Artifact:
    """Load the shipped artifact (package data) or the file at ``path``; cached."""
    if path is None:
        text = resources.files("detectors").joinpath("models", ARTIFACT).read_text("utf-8")
    else:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    obj = json.loads(text)
    if obj.get("dim_bits") != DIM_BITS:
        raise ValueError("artifact was trained with another feature space")
    models = {n: LinearModel.from_json(n, m) for n, m in obj["models"].items()}
    return Artifact(models, obj.get("meta", {}))
