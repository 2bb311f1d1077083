"""``tollgate audit verify``: check the HMAC chain over audit files.

Files may be given in any order (``audit.jsonl*``): they are put in chain
order by the sequence number of their first event. The check reports the
first problem in chain order:

``broken``     a line that is not an event, an event whose MAC does not
               match (edited or forged), or a link whose ``prev_mac`` is
               not the previous event's MAC;
``missing``    sequence numbers skipped (deleted lines or a deleted file);
``reordered``  an event that appears before one it should follow.

A chain may start mid-way (older files rotated away): the first event is
the anchor. An event with ``seq`` 1 and the genesis ``prev_mac`` starts a
new chain (a fresh deployment) and is accepted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from middleware.audit._chain import GENESIS, compute_mac

__all__ = ["Problem", "VerifyReport", "verify_files"]

ProblemKind = Literal["broken", "missing", "reordered"]


@dataclass(frozen=True, slots=True)
class Problem:
    """The first thing wrong with the chain, and where."""

    kind: ProblemKind
    file: str
    line: int
    seq: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.file}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What was checked; ``problem`` is None when the chain is intact."""

    files: tuple[str, ...]
    events: int
    first_seq: int | None
    last_seq: int | None
    chain_starts: int
    problem: Problem | None

    @property
    def ok(self) -> bool:
        """Whether every event verified and linked."""
        return self.problem is None


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                yield number, line


def _parse(line: str) -> dict[str, Any] | None:
    try:
        event = json.loads(line)
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    if not isinstance(event.get("seq"), int) or not isinstance(event.get("mac"), str):
        return None
    if not isinstance(event.get("prev_mac"), str):
        return None
    return event


def _index(paths: Sequence[Path]) -> tuple[list[Path], set[int]]:
    """Files in chain order, and every sequence number present."""
    firsts: list[tuple[int, int, Path]] = []
    seqs: set[int] = set()
    for order, path in enumerate(paths):
        first: int | None = None
        for _, line in _lines(path):
            event = _parse(line)
            if event is None:
                continue
            seqs.add(event["seq"])
            if first is None:
                first = event["seq"]
        firsts.append((first if first is not None else -1, order, path))
    return [p for _, _, p in sorted(firsts)], seqs


def _check(
    key: bytes, event: dict[str, Any], prev: dict[str, Any] | None, seqs: set[int]
) -> tuple[ProblemKind, str] | None:
    """What is wrong with ``event`` following ``prev`` (None: nothing)."""
    seq = event["seq"]
    if compute_mac(key, event) != event["mac"]:
        return "broken", f"event seq {seq} was modified (MAC mismatch) or signed with another key"
    if prev is None or (seq == 1 and event["prev_mac"] == GENESIS):
        return None
    last = prev["seq"]
    expected = last + 1
    if seq <= last:
        return "reordered", f"event seq {seq} comes after seq {last}"
    if seq > expected:
        if expected in seqs:
            return "reordered", f"event seq {seq} comes before seq {expected}"
        gap = f"{expected}" if seq == expected + 1 else f"{expected}..{seq - 1}"
        return "missing", f"events seq {gap} are missing before seq {seq}"
    if event["prev_mac"] != prev["mac"]:
        return "broken", f"event seq {seq} does not link to seq {last} (prev_mac mismatch)"
    return None


def verify_files(paths: Sequence[str | Path], key: bytes) -> VerifyReport:
    """Verify the chain across ``paths`` under ``key`` (see the module docstring)."""
    files, seqs = _index([Path(p) for p in paths])
    names = tuple(str(f) for f in files)
    events = starts = 0
    first_seq: int | None = None
    prev: dict[str, Any] | None = None
    for path in files:
        for number, line in _lines(path):
            event = _parse(line)
            found: tuple[ProblemKind, str] | None = (
                ("broken", "not an audit event (bad JSON or chain fields)")
                if event is None
                else _check(key, event, prev, seqs)
            )
            if found is not None:
                seq = event["seq"] if event is not None else None
                last = prev["seq"] if prev is not None else None
                problem = Problem(found[0], str(path), number, seq, found[1])
                return VerifyReport(names, events, first_seq, last, starts, problem)
            assert event is not None
            if prev is None or (event["seq"] == 1 and event["prev_mac"] == GENESIS):
                starts += 1
            if first_seq is None:
                first_seq = event["seq"]
            events += 1
            prev = event
    last_seq = prev["seq"] if prev is not None else None
    return VerifyReport(names, events, first_seq, last_seq, starts, None)
