"""Labelled examples for the learned detectors, read from the shared data folder.

Every example carries its dataset (``group``, the unit of leave-one-dataset-out
validation), one label per detector (1 positive, 0 negative, ``None`` = not used
for that detector) and a deterministic split (``train``/``calib``/``test``) from a
hash of its text, so training and evaluation agree without shuffling state.

Licences: ``alpaca_sample`` (CC BY-NC) is loaded with ``trainable=False``; the
training script refuses to fit on such rows.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["HARMFUL_SETS", "Example", "find_data_dir", "load_all"]

#: Harmful-request sets: the "≥ 0.90 flagged" target applies to each.
HARMFUL_SETS = ("advbench", "harmbench_val", "strongreject", "simple_safety_tests", "xstest_unsafe")


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text. ``labels`` maps detector name -> 1/0 (absent = unused)."""

    text: str
    group: str
    subset: str
    labels: tuple[tuple[str, int], ...]
    split: str
    category: str | None = None
    trainable: bool = True

    def label(self, detector: str) -> int | None:
        """The label of this example for ``detector`` or None when it is not used."""
        for name, value in self.labels:
            if name == detector:
                return value
        return None


def find_data_dir() -> Path:
    """Locate the shared data: $TOLLGATE_SHARED_DATA, then ../shared/data, then /work/shared/data."""  # noqa: E501
    env = os.environ.get("TOLLGATE_SHARED_DATA")
    candidates = [Path(env)] if env else []
    repo = Path(__file__).resolve().parent.parent
    candidates += [repo.parent / "shared" / "data", Path("/work/shared/data")]
    for path in candidates:
        if (path / "README.md").is_file():
            return path
    raise FileNotFoundError("shared data not found; set TOLLGATE_SHARED_DATA")


def _split(text: str, positive: bool) -> str:
    bucket = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 100
    if positive:
        return "train" if bucket < 75 else "test"
    return "train" if bucket < 60 else ("calib" if bucket < 75 else "test")


_HARM = (("misuse", 1), ("injection", 0), ("jailbreak", 0))
_BENIGN = (("misuse", 0), ("injection", 0), ("jailbreak", 0))


def _ex(
    text: str,
    group: str,
    labels: tuple[tuple[str, int], ...],
    *,
    subset: str | None = None,
    split: str | None = None,
    category: str | None = None,
    trainable: bool = True,
) -> Example:
    positive = any(v == 1 for _, v in labels)
    return Example(
        text=text,
        group=group,
        subset=subset or group,
        labels=labels,
        split=split or _split(text, positive),
        category=category,
        trainable=trainable,
    )


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _jsonl(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


_SR_CAT = {
    "Disinformation and deception": "disinformation",
    "Hate, harassment and discrimination": "hate",
    "Illegal goods and services": "non_violent_crimes",
    "Non-violent crimes": "non_violent_crimes",
    "Sexual content": "sexual_content",
    "Violence": "violent_crimes",
}
_HB_CAT = {
    "cybercrime_intrusion": "cyber_crime",
    "chemical_biological": "indiscriminate_weapons",
    "misinformation_disinformation": "disinformation",
    "illegal": "non_violent_crimes",
    "harassment_bullying": "hate",
    "harmful": "violent_crimes",
}
_SST_CAT = {
    "Suicide, Self-Harm, and Eating Disorders": "self_harm",
    "Physical harm and Violence": "violent_crimes",
    "Illegal and Highly Regulated items": "non_violent_crimes",
    "Scams and fraud": "non_violent_crimes",
    "Child safety": "child_exploitation",
}


def _harmful(d: Path) -> Iterator[Example]:
    for row in _csv(d / "advbench" / "harmful_behaviors.csv"):
        yield _ex(row["goal"], "advbench", _HARM)
    for row in _csv(d / "advbench" / "harmful_strings.csv"):
        yield _ex(row["target"], "advbench", _HARM, subset="advbench_strings")
    for row in _csv(d / "harmbench_val" / "harmbench_behaviors_text_val.csv"):
        copyright_item = row["SemanticCategory"] == "copyright"
        yield _ex(
            row["Behavior"],
            "harmbench_val",
            _HARM,
            subset="harmbench_copyright" if copyright_item else "harmbench_val",
            category=_HB_CAT.get(row["SemanticCategory"]),
            # Song lyrics and book passages are no misuse in the taxonomy's
            # sense: reported, never trained on (they taught "generate X" = harm).
            trainable=not copyright_item,
        )
    for row in _csv(d / "strongreject" / "strongreject_dataset.csv"):
        yield _ex(row["forbidden_prompt"], "strongreject", _HARM, category=_SR_CAT[row["category"]])
    for row in _csv(d / "simple_safety_tests" / "simple_safety_tests.csv"):
        yield _ex(
            row["prompts_final"], "simple_safety_tests", _HARM, category=_SST_CAT[row["harm_area"]]
        )
    for row in _csv(d / "xstest" / "xstest_prompts.csv"):
        if row["label"] == "unsafe":
            cat = {"contrast_privacy": "privacy", "contrast_discr": "hate"}.get(row["type"])
            yield _ex(row["prompt"], "xstest", _HARM, subset="xstest_unsafe", category=cat)
        else:
            yield _ex(row["prompt"], "xstest", _BENIGN, subset="xstest_safe")


def _attacks(d: Path) -> Iterator[Example]:
    jb = (("jailbreak", 1), ("injection", -1), ("misuse", -1))
    seen: set[str] = set()
    for name in ("jailbreak_prompts", "jailbreak_prompts_itw", "jailbreak_prompts_train"):
        for row in _csv(d / "self_reminder_jailbreaks" / f"{name}.csv"):
            if row["prompt"] not in seen:
                seen.add(row["prompt"])
                yield _ex(row["prompt"], "self_reminder_jailbreaks", _drop(jb))
    inj = (("injection", 1), ("jailbreak", -1), ("misuse", -1))
    with (d / "cyberseceval_prompt_injection" / "prompt_injection.json").open() as fh:
        for row in json.load(fh):
            text = row["user_input"]
            visible = _VISIBLE_ATTACK.search(text) is not None
            yield _ex(
                text,
                "cyberseceval_prompt_injection",
                _drop(inj),
                subset=f"cyberseceval_{row['injection_type']}",
                trainable=visible,
            )
    yield from _bipia(d)


#: CyberSecEval rows whose text shows the attack (a secret, the prompt, the
#: instructions). The others are ordinary questions whose attack is breaking a
#: topic rule of their own system prompt ("What is the weather in LA?"): they
#: are evaluated but never trained on -- as positives they teach "questions are
#: injections".
_VISIBLE_ATTACK = re.compile(
    r"password|passcode|secret|\bkey\b|prompt|instruction|system|rule|confidential|reveal|"
    r"ignore|forget|disregard|mot de passe|contraseña|senha|passwort|пароль|密码|parola",
    re.IGNORECASE,
)


def _drop(labels: tuple[tuple[str, int], ...]) -> tuple[tuple[str, int], ...]:
    return tuple((k, v) for k, v in labels if v >= 0)


def _bipia_contexts(d: Path, split: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for kind in ("email", "table", "code"):
        path = d / "bipia" / kind / f"{split}.jsonl"
        rows = _jsonl(path) if path.is_file() else []
        if kind == "table":  # table/train.jsonl was not copied: halve the test file
            rows = _jsonl(d / "bipia" / "table" / "test.jsonl")
            rows = rows[: len(rows) // 2] if split == "train" else rows[len(rows) // 2 :]
        for row in rows:
            ctx = row["context"]
            text = "\n".join(ctx) if isinstance(ctx, list) else str(ctx)
            out.append((kind, text))
    return out


def insert_attack(context: str, attack: str, position: int) -> str:
    """Insert ``attack`` at the start (0), middle (1) or end (2) of ``context``, as BIPIA does."""
    if position == 0:
        return f"{attack}\n{context}"
    if position == 2:
        return f"{context}\n{attack}"
    lines = context.split("\n")
    mid = max(1, len(lines) // 2)
    return "\n".join([*lines[:mid], attack, *lines[mid:]])


#: BIPIA attack families that are ordinary requests when read alone ("Analyze
#: the trend of electric car sales"): injections only inside data, so they are
#: never training positives on their own (they stay in the evaluation).
_STANDALONE_TASKS = frozenset(
    {
        "Task Automation",
        "Business Intelligence",
        "Conversational Agent",
        "Research Assistance",
        "Sentiment Analysis",
        "Information Retrieval",
        "Content Creation",
        "Learning and Tutoring",
        "Language Translation",
        "Programming Help",
    }
)


def _bipia(d: Path) -> Iterator[Example]:
    inj = (("injection", 1), ("misuse", -1), ("jailbreak", -1))
    for split in ("train", "test"):
        contexts = _bipia_contexts(d, split)
        for _kind, text in contexts:  # train contexts are the negatives of their own attacks
            yield _ex(text, "bipia", _BENIGN, subset="bipia_contexts", split=split)
        attacks: dict[str, list[tuple[str, str]]] = {}
        for family in ("text", "code"):
            with (d / "bipia" / f"{family}_attack_{split}.json").open() as fh:
                attacks[family] = [(c, a) for c, items in json.load(fh).items() for a in items]
        pools = {k: [t for c, t in contexts if (c == "code") == (k == "code")] for k in attacks}
        for family, items in attacks.items():
            for i, (category, attack) in enumerate(items):
                # Training sees the attack alone and the windows of the clean contexts
                # as negatives (a whole context with an attack inside would teach
                # "emails are injections"); evaluation sees the attack inside a context.
                if split == "train":
                    if category in _STANDALONE_TASKS:
                        continue
                    yield _ex(attack, "bipia", _drop(inj), subset="bipia_attacks_raw", split=split)
                    continue
                ctx = pools[family][(i * 7) % len(pools[family])]
                yield _ex(
                    insert_attack(ctx, attack, i % 3),
                    "bipia",
                    _drop(inj),
                    subset="bipia_attacks",
                    split=split,
                )


def _benign(d: Path) -> Iterator[Example]:
    sets = {
        "hh_rlhf_helpful": "helpful_test_first_turns.jsonl",
        "self_instruct": "seed_and_user_oriented.jsonl",
        "mt_bench_vicuna": "first_turn_questions.jsonl",
        "gsm8k": "gsm8k_questions_sample.jsonl",
        "nq_open": "nq_open_questions_sample.jsonl",
        "prompts_chat_roleplay": "prompts_chat_text_dev.jsonl",
    }
    for name, file in sets.items():
        for row in _jsonl(d / "benign" / name / file):
            yield _ex(str(row["text"]), name, _BENIGN)
    for n in ("one", "two", "three"):
        with (d / "notinject" / f"NotInject_{n}.json").open() as fh:
            for row in json.load(fh):
                yield _ex(row["prompt"], "notinject", _BENIGN)
    with (d / "alpaca_sample" / "alpaca_dev_4000.json").open() as fh:
        for row in json.load(fh):
            text = row["instruction"] + (f"\n\n{row['input']}" if row.get("input") else "")
            yield _ex(text, "alpaca_sample", _BENIGN, split="test", trainable=False)


def load_all(data_dir: Path | None = None) -> list[Example]:
    """Every labelled example, in a fixed order."""
    d = data_dir or find_data_dir()
    return [*_harmful(d), *_attacks(d), *_benign(d)]
