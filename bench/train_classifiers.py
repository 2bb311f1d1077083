"""Train the shipped models of the learned detectors (misuse, injection, jailbreak).

Reads the labelled sets from the shared data folder (never copied into the repo),
fits one logistic regression per detector on the ``train`` split of every
trainable set (alpaca_sample is CC BY-NC: measured, never trained on),
calibrates on the benign ``calib`` split and writes
``detectors/models/learned.json``. Deterministic: fixed seed, hash splits.

    PYTHONPATH=. python bench/train_classifiers.py [--out PATH]

Needs numpy, scipy and scikit-learn (training only; the run time needs none of them):
``pip install -e ".[train]"``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from array import array
from collections import Counter
from pathlib import Path

import numpy as np

_BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(_BENCH.parent))  # this checkout's packages win over installed ones

from bench._learned_data import load_all  # noqa: E402
from bench._learned_fit import DETECTORS, SEED, FeatureBank, FittedModel, fit_all  # noqa: E402
from detectors._learned_features import DIM_BITS  # noqa: E402
from detectors._learned_model import LinearModel, quantise  # noqa: E402

__all__ = ["artifact_json", "main", "train_masks"]

OUT = Path(__file__).resolve().parent.parent / "detectors" / "models" / "learned.json"


def train_masks(bank: FeatureBank, exclude: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Train and calibration masks, optionally leaving dataset ``exclude`` out."""
    exs = bank.examples
    keep = np.asarray([e.trainable and e.group != exclude for e in exs])
    split = np.asarray([e.split for e in exs])
    return keep & (split == "train"), keep & (split == "calib")


def _linear(model: FittedModel) -> LinearModel:
    raw, scale = quantise(model.coef.tolist())
    return LinearModel(
        model.name, array("b", raw), scale, model.bias, model.anchors, model.off_topic_penalty
    )


def artifact_json(models: dict[str, FittedModel], trained_on: dict[str, int]) -> str:
    """Serialise fitted models into the artifact format read by the detectors."""
    body = {name: _linear(m).to_json() for name, m in models.items()}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
    doc = {
        "dim_bits": DIM_BITS,
        "meta": {"version": digest, "seed": SEED, "trained_on": trained_on},
        "models": body,
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def main() -> None:
    """Fit on all trainable data and write the artifact."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    t0 = time.perf_counter()
    bank = FeatureBank(load_all())
    train, calib = train_masks(bank)
    models = fit_all(bank, train, calib)
    trained_on = Counter(e.subset for e, m in zip(bank.examples, train, strict=True) if m)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(artifact_json(models, dict(sorted(trained_on.items()))) + "\n")
    print(
        f"wrote {args.out} ({args.out.stat().st_size} bytes) for {', '.join(DETECTORS)}"
        f" in {time.perf_counter() - t0:.0f}s"
    )


if __name__ == "__main__":
    main()
