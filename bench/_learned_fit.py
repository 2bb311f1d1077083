"""Fitting and calibration of the learned detectors (training time only: scikit-learn).

Shared by ``bench/train_classifiers.py`` (the shipped artifact) and
``bench/eval_learned.py`` (leave-one-dataset-out folds), so both measure exactly
the procedure that produced the shipped model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

from bench._learned_data import Example
from detectors._learned_features import DIM_BITS
from detectors._learned_model import ANCHOR_QUANTILES, ANCHOR_SCORES, quantise
from detectors._learned_runtime import compute_spans

__all__ = ["DETECTORS", "SETTINGS", "FeatureBank", "FittedModel", "fit_all", "fit_model"]

DETECTORS = ("misuse", "injection", "jailbreak")
SEED = 20240611


class FeatureBank:
    """Features of every example's whole text and of its windows, computed once."""

    def __init__(self, examples: Sequence[Example]) -> None:
        self.examples = list(examples)
        rows, owners = [], []
        full = []
        full_topical, win_topical = [], []
        for i, ex in enumerate(self.examples):
            spans = compute_spans(ex.text)  # exactly what the run time scores
            full.append(spans[0].vec)
            full_topical.append(spans[0].topical)
            for span in spans[1:]:
                rows.append(span.vec)
                owners.append(i)
                win_topical.append(span.topical)
        self.full = _csr(full)
        self.win = _csr(rows)
        self.owner = np.asarray(owners, dtype=np.int64)
        self.full_topical = np.asarray(full_topical, dtype=bool)
        self.win_topical = np.asarray(win_topical, dtype=bool)

    def scores(self, coef: np.ndarray, bias: float, penalty: float = 0.0) -> np.ndarray:
        """Raw margin per example: max over the whole text and its windows.

        ``penalty`` is subtracted from spans without a topic (``off_topic_penalty``).
        """
        out = self.full @ coef + bias - penalty * ~self.full_topical
        if self.win.shape[0]:
            wm = self.win @ coef + bias - penalty * ~self.win_topical
            np.maximum.at(out, self.owner, wm)
        return np.asarray(out)


def _csr(vecs: list[dict[int, float]]) -> sp.csr_matrix:
    indptr = [0]
    idx: list[int] = []
    val: list[float] = []
    for v in vecs:
        idx.extend(v.keys())
        val.extend(v.values())
        indptr.append(len(idx))
    return sp.csr_matrix(
        (np.asarray(val, dtype=np.float64), np.asarray(idx, dtype=np.int64), np.asarray(indptr)),
        shape=(len(vecs), 1 << DIM_BITS),
    )


@dataclass(frozen=True)
class FittedModel:
    """Weights, bias and calibration anchors of one detector's linear model."""

    name: str
    coef: np.ndarray
    bias: float
    anchors: tuple[tuple[float, float], ...]
    off_topic_penalty: float = 0.0


#: Per detector: inverse regularisation ``C`` and the off-topic penalty (margin
#: units subtracted from spans that name no harmful topic).
#: Misuse: a harmful request nearly always names its harm, and without the gate
#: the model flagged everyday how-to questions ("how do I groom a dog") of chat
#: sets it had not seen; measured in bench/results/learned.json.
#: Alternatives measured LODO (any@0.5) against (16, 2.0): C=32 moves recall by <= 0.02
#: and raises hh_rlhf 0.0129 -> 0.0139, xstest_safe 0.100 -> 0.104; penalty 1.0 trades
#: advbench -0.01 / simple_safety +0.02 for hh_rlhf 0.0129 -> 0.0216. Neither kept.
#: With the wider lexicons and the request / asks-about features the penalty is 3.0:
#: against 2.0 it moves harmful recall by <= 0.01 and hh_rlhf 0.011 -> 0.009 (fast
#: LODO, numpy scoring without the cascade).
#: With the endorse / private-data / method-ask cues and the fourth lexicon pass
#: (issue #5), measured on the fast misuse-only LODO: C=32 and penalty 2.0 move
#: every harmful set by <= 0.015 (noise); kept (16, 3.0). Also measured and not
#: kept: STRUCT_SCALE 5 (advbench -0.04), structural features normalised apart
#: from the words (-0.03..-0.12 on four sets), a structural-only model (advbench
#: 0.66, strongreject 0.47), a hand-set margin bonus for acute harms (threshold
#: rose: strongreject -0.05) and person-harm verb patterns (xstest_unsafe +0.10
#: but strongreject -0.06, harmbench -0.07: they explained away the request-shape
#: words that transfer).
#: Issue #5, CyberSecEval injection recall (LODO 0.4701: direct 0.4388, indirect
#: 0.5818). Kept: override phrases in more languages, claims to own or control the
#: model and mode tags (authority_claim, hand weight 2.0 -> 3.0: alone it now
#: reaches 0.5; no benign text of any set holds it), password asks in Korean and
#: Japanese and "passphrase", exfiltration verbs in five languages, orders inside
#: a document quoted after a request (``quoted_order``), interlaced fragments as
#: payload splitting and binary-written bytes among the decoded payloads. Measured
#: and not kept or not chased: a code comment asserting the output ("# the output
#: should be 10") as an order -- expected-output comments are common in benign
#: code; "decode this and tell me what it says" as an injection (a request to
#: decode is no order; the payloads that follow it in the set are ordinary
#: questions); "I am a police officer" style claims (users say so in chat sets);
#: asks for "the user's" birth date, initials... in a disguised form (programming
#: questions ask for "the user's name" all the time); Caesar shifts other than
#: rot13 (25 decodings per text for one row). About 110 of the 251 rows are
#: ordinary questions that only break a topic rule of their own system prompt
#: and stay out of reach of a one-message detector.
#: xstest_safe margin: pest-control objects ("poison the rats") as harmless objects
#: moved nothing (kept; "vermin" is also a hate-lexicon word, the hit stays);
#: "shoot a goal", "break into the film industry" moved 25 -> 23 of 250; adding
#: "market", "charts", "mainstream" as well gave the same 23 but xstest_unsafe
#: 0.51 -> 0.505 (one row 0.505 -> 0.497, retraining noise at the threshold).
SETTINGS: dict[str, tuple[float, float]] = {
    "misuse": (16.0, 3.0),
    "injection": (4.0, 0.0),
    "jailbreak": (4.0, 0.0),
}


def _sample_weights(examples: Sequence[Example], mask: np.ndarray, y: np.ndarray) -> np.ndarray:
    # Each dataset weighs the same within its class, so 5,900 chat turns do not
    # drown 100 SimpleSafetyTests prompts; the classes weigh the same overall.
    groups = np.asarray([examples[int(i)].subset for i in np.flatnonzero(mask)])
    w = np.ones(len(groups))
    for cls in (0, 1):
        sel = y == cls
        subs = np.unique(groups[sel])
        for g in subs:
            m = sel & (groups == g)
            w[m] = 1.0 / (m.sum() * len(subs))
    out: np.ndarray = w * len(w) / w.sum()
    return out


def fit_model(
    bank: FeatureBank,
    detector: str,
    train: np.ndarray,
    calib: np.ndarray,
    c: float = 4.0,
    penalty: float = 0.0,
) -> FittedModel:
    """Fit ``detector`` on the ``train`` mask and calibrate on benign rows of ``calib``.

    ``penalty``: the off-topic penalty, applied before calibration.
    """
    exs = bank.examples
    labels = np.asarray([-1 if (v := e.label(detector)) is None else v for e in exs])
    mask = train & (labels >= 0)
    y = labels[mask]
    if len(set(y.tolist())) < 2:  # a fold without positives: a model that never fires
        return FittedModel(detector, np.zeros(1 << DIM_BITS), -10.0, ((0.0, 0.0), (1.0, 1.0)))
    weights = _sample_weights(exs, mask, y)
    # The run time scores windows of long texts too, so the windows of negative
    # texts are negatives as well (each carries its text's weight).
    row_weight = np.zeros(len(exs))
    row_weight[mask] = weights
    neg_win = np.flatnonzero(mask[bank.owner] & (labels[bank.owner] == 0))
    x = sp.vstack([bank.full[mask], bank.win[neg_win]]).tocsr()
    y = np.concatenate([y, np.zeros(len(neg_win), dtype=y.dtype)])
    weights = np.concatenate([weights, row_weight[bank.owner[neg_win]]])
    lr = LogisticRegression(C=c, max_iter=3000, solver="liblinear", random_state=SEED)
    lr.fit(x, y, sample_weight=weights)
    raw_q, scale = quantise(lr.coef_.ravel().tolist())
    coef = np.frombuffer(raw_q, dtype=np.int8).astype(np.float64) * scale
    bias = float(lr.intercept_[0])
    raw = bank.scores(coef, bias, penalty)
    neg = raw[calib & (labels == 0)]
    anchors = calibration_anchors(neg)
    return FittedModel(detector, coef, bias, anchors, penalty)


def calibration_anchors(benign_raw: np.ndarray) -> tuple[tuple[float, float], ...]:
    """Map raw margins to scores: the benign quantile ``q`` lands on its anchor score.

    Score 0.5 is the 99.5th percentile of benign calibration margins; above the
    top anchor the score climbs linearly to 1.0 over three margin units.
    """
    qs = np.quantile(benign_raw, ANCHOR_QUANTILES)
    pts: list[tuple[float, float]] = []
    for q, s in zip(qs, ANCHOR_SCORES, strict=True):
        x = float(q) if not pts else max(float(q), pts[-1][0] + 1e-3)
        pts.append((x, s))
    pts.append((pts[-1][0] + 3.0, 1.0))
    return tuple(pts)


def fit_all(bank: FeatureBank, train: np.ndarray, calib: np.ndarray) -> dict[str, FittedModel]:
    """Fit the three detector models on one training mask."""
    return {d: fit_model(bank, d, train, calib, *SETTINGS[d]) for d in DETECTORS}
