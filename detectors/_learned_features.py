"""Text -> sparse hashed features shared by training and the run-time detectors.

One featuriser is used by ``bench/train_classifiers.py`` and by the detectors, so
the shipped weights always meet the features they were trained on. Features:

* word unigrams and bigrams (unicode words, lower-cased);
* structural cues (:mod:`detectors._learned_cues`);
* topic lexicons of the misuse taxonomy (:mod:`detectors._learned_lexicon`),
  protected-group mentions, conjunctions "topic AND intent" (intent: a how-to,
  an imperative request, secrecy, a victim, making or obtaining something),
  "asks about" (a question with no intent cue, alone and with a topic) and
  n-grams with the topic word replaced by its category ("how can i <violent_crimes>").

Character n-grams were measured and dropped: they fit the style of the training
sets and lowered leave-one-dataset-out recall.

A text is analysed once (:func:`analyse`: every regular expression runs once
over the whole text); the vector of any span -- the whole text or a window --
is then assembled from the items that start inside it (:func:`span_vector`).
Feature names are hashed with CRC-32 (stable across processes, unlike
``hash``) into ``2**DIM_BITS`` buckets; values are ``1 + log(count)`` (times
``STRUCT_SCALE`` for structural features) and the vector is L2-normalised.
Pure Python: no numpy needed.
"""

from __future__ import annotations

import math
import re
import zlib
from bisect import bisect_left
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from detectors._learned_cues import cue_matches
from detectors._learned_lexicon import GROUPS, MISUSE_CATEGORIES, topic_spans
from detectors._learned_regex import lowered

__all__ = [
    "DIM_BITS",
    "STRUCT_SCALE",
    "Analysis",
    "SparseVec",
    "analyse",
    "asks_about",
    "featurise",
    "span_cues",
    "span_topical",
    "span_vector",
    "windows",
]

DIM_BITS = 18
_MASK = (1 << DIM_BITS) - 1
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")

SparseVec = dict[int, float]

#: Multiplier of structural features (cues, topics, their conjunctions) after the
#: log: they carry meaning that transfers across datasets, so they are allowed
#: larger values than any single word (less shrunk by the L2 penalty).
STRUCT_SCALE = 3.0
_INTENT_CUES = (
    "howto",
    "covert",
    "target",
    "produce",
    "request",
    "endorse",
    "private_ask",
    "method_ask",
)
#: Cues of asking *for* something; a question without any of them asks *about* it.
_INSTRUMENTAL_CUES = (
    "howto",
    "request",
    "covert",
    "produce",
    "target",
    "endorse",
    "private_ask",
    "method_ask",
)
_TOPIC_TOKENS = {"topic" + name.replace("_", ""): name for name in MISUSE_CATEGORIES}


def _h(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) & _MASK


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything position-dependent about a text, computed once.

    Each list is sorted by start offset; ``*_at`` hold the offsets alone for
    bisecting. ``words`` carry the unigram hash and the hash of the bigram
    they start (or -1), ``bigram_end`` where that bigram's second word starts.
    """

    length: int
    word_at: list[int]
    words: list[tuple[int, int, int]]
    cue_at: list[int]
    cues: list[str]
    topic_at: list[int]
    topics: list[str]
    group_at: list[int]
    abstract_at: list[int]
    abstract: list[str]


def _abstract(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, str]]:
    """N-grams around each topic word with the word replaced by its category."""
    if not spans:
        return []
    parts: list[str] = []
    starts: dict[int, int] = {}
    pos = 0
    for start, end, name in spans:
        if start < pos:
            continue
        parts.append(text[pos:start].lower())
        starts[sum(len(p) for p in parts) + 1] = start
        parts.append(f" topic{name.replace('_', '')} ")
        pos = end
    parts.append(text[pos:].lower())
    joined = "".join(parts)
    toks = [(m.start(), m.group()) for m in _WORD.finditer(joined)]
    out: list[tuple[int, str]] = []
    for i, (at, w) in enumerate(toks):
        if w not in _TOPIC_TOKENS:
            continue
        origin = starts.get(at, 0)
        if i >= 1:
            out.append((origin, f"a:{toks[i - 1][1]} {w}"))
        if i >= 2:
            out.append((origin, f"a:{toks[i - 2][1]} {toks[i - 1][1]} {w}"))
        if i + 1 < len(toks):
            out.append((origin, f"a:{w} {toks[i + 1][1]}"))
    out.sort()
    return out


def analyse(text: str) -> Analysis:
    """Tokenise and run every cue, lexicon and group pattern over ``text`` once."""
    low = text.lower()
    toks = [(m.start(), m.group()) for m in _WORD.finditer(low)]
    words = []
    for i, (_, w) in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        bigram = _h(f"b:{w} {nxt[1]}") if nxt else -1
        words.append((_h("w:" + w), bigram, nxt[0] if nxt else -1))
    cues = cue_matches(text)
    spans = topic_spans(text)
    abstract = _abstract(text, spans)
    return Analysis(
        length=len(text),
        word_at=[at for at, _ in toks],
        words=words,
        cue_at=[at for at, _ in cues],
        cues=[name for _, name in cues],
        topic_at=[s for s, _, _ in spans],
        topics=[name for _, _, name in spans],
        group_at=[m.start() for m in GROUPS.finditer(text, lowered(text))],
        abstract_at=[at for at, _ in abstract],
        abstract=[name for _, name in abstract],
    )


def _slice(at: list[int], start: int, end: int) -> range:
    return range(bisect_left(at, start), bisect_left(at, end))


def span_cues(a: Analysis, start: int, end: int) -> dict[str, int]:
    """Cue counts of the span ``[start, end)`` (cues that start inside it)."""
    out: dict[str, int] = {}
    for i in _slice(a.cue_at, start, end):
        out[a.cues[i]] = out.get(a.cues[i], 0) + 1
    return out


def asks_about(cues: Mapping[str, int]) -> bool:
    """Whether cue counts read as a question *about* something ("what is meth?").

    True when a question opens a sentence and no cue asks *for* something
    (instructions, content, secrecy, a victim, something made or obtained).
    """
    return "question" in cues and not any(c in cues for c in _INSTRUMENTAL_CUES)


def span_topical(a: Analysis, start: int, end: int) -> bool:
    """Whether the span ``[start, end)`` names a harmful topic of the taxonomy lexicons.

    Protected groups do not count: "a Mexican breakfast burrito" names one.
    """
    return bool(_slice(a.topic_at, start, end))


def span_vector(a: Analysis, start: int, end: int) -> SparseVec:
    """The L2-normalised feature vector of the span ``[start, end)`` of an analysed text."""
    counts: Counter[int] = Counter()
    for i in _slice(a.word_at, start, end):
        uni, bigram, second = a.words[i]
        counts[uni] += 1
        if bigram >= 0 and second < end:
            counts[bigram] += 1
    vec: dict[int, float] = {k: 1.0 + math.log(v) for k, v in counts.items()}
    found = span_cues(a, start, end)
    struct: Counter[str] = Counter({"r:" + name: n for name, n in found.items()})
    topics: Counter[str] = Counter(a.topics[i] for i in _slice(a.topic_at, start, end))
    for name, n in topics.items():
        struct["m:" + name] += n
    if topics:
        struct["m:any"] += len(topics)
    groups = bool(_slice(a.group_at, start, end))
    if groups:
        struct["m:group"] += 1
    # Conjunctions a linear model cannot form itself: a harmful topic (or a
    # protected group) *and* a request for instructions, secrecy, a victim...
    for intent in _INTENT_CUES:
        if intent not in found:
            continue
        if topics:
            struct["x:any&" + intent] += 1
        for name in (*topics, *(("group",) if groups else ())):
            struct[f"x:{name}&{intent}"] += 1
    if asks_about(found):
        # A question about a topic, not a request for help with it.
        struct["r:about"] += 1
        if topics:
            struct["x:any&about"] += 1
    for i in _slice(a.abstract_at, start, end):
        struct[a.abstract[i]] += 1
    for name, n in struct.items():
        k = _h(name)
        vec[k] = vec.get(k, 0.0) + STRUCT_SCALE * (1.0 + math.log(n))
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {k: v / norm for k, v in vec.items()}


def featurise(text: str) -> SparseVec:
    """The feature vector of the whole ``text``."""
    return span_vector(analyse(text), 0, len(text))


def windows(text: str, size: int = 500, stride: int = 350) -> list[tuple[int, int]]:
    """Character windows ``(start, end)`` of about ``size`` chars cut at whitespace.

    Long texts are scored per window as well as whole, so one injected sentence
    in a long document is not diluted by the benign text around it.
    """
    n = len(text)
    if n <= size:
        return [(0, n)]
    spans: list[tuple[int, int]] = []
    start = 0
    while start < n:
        end = min(n, start + size)
        if end < n:
            cut = text.rfind(" ", start + size // 2, end)
            end = cut if cut > 0 else end
        spans.append((start, end))
        if end >= n:
            break
        nxt = start + stride
        sp = text.find(" ", nxt, nxt + 40)
        start = sp + 1 if sp > 0 else nxt
    return spans
