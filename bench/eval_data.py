"""Locating and reading the labelled datasets in ``shared/data`` (never copied here)."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["benign_texts", "data_dir", "read_jsonl", "text_of"]

_REPO = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """``$TOLLGATE_SHARED_DATA``, else ``<repo>/../shared/data``, else ``/work/shared/data``."""
    env = os.environ.get("TOLLGATE_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates += [_REPO.parent / "shared" / "data", Path("/work/shared/data")]
    for c in candidates:
        if c.is_dir():
            return c
    raise FileNotFoundError("shared data not found; set TOLLGATE_SHARED_DATA")


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of a JSON-lines file."""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


_TEXT_KEYS = ("text", "prompt", "question", "instruction", "goal", "turns", "input")


def text_of(row: dict[str, Any]) -> str:
    """The prompt text of a row, whatever the dataset calls it."""
    for key in _TEXT_KEYS:
        value = row.get(key)
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, str) and value.strip():
            extra = row.get("input") if key == "instruction" else None
            return f"{value}\n{extra}" if isinstance(extra, str) and extra else value
    raise KeyError(f"no text field in row with keys {sorted(row)}")


def _rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".jsonl":
        return list(read_jsonl(path))
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    data = json.loads(path.read_text(encoding="utf-8"))
    return list(data) if isinstance(data, list) else []


def benign_texts(limit: int | None = None) -> dict[str, list[str]]:
    """Benign prompt texts by dataset name (first ``limit`` rows of each)."""
    root = data_dir()
    files: dict[str, list[Path]] = {
        p.name: sorted(p.glob("*.jsonl")) for p in sorted((root / "benign").iterdir())
    }
    files["alpaca_sample"] = sorted((root / "alpaca_sample").glob("*.json"))
    files["notinject"] = sorted((root / "notinject").glob("*.json"))
    out: dict[str, list[str]] = {}
    for name, paths in files.items():
        texts = [text_of(r) for p in paths for r in _rows(p)]
        if texts:
            out[name] = texts[:limit] if limit else texts
    xs = root / "xstest" / "xstest_prompts.csv"
    if xs.exists():
        safe = [r["prompt"] for r in _rows(xs) if r.get("label") == "safe"]
        out["xstest_safe"] = safe[:limit] if limit else safe
    return out
