"""``verify_files`` and ``tollgate audit verify``: intact chains pass, each tampering is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from middleware.audit import HmacChain, verify_files
from middleware.cli import main
from tests.middleware.audit.conftest import KEY, write_chain


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "audit.jsonl"
    write_chain(path, 10)
    return path


def test_intact_chain_verifies(log: Path) -> None:
    report = verify_files([log], KEY)
    assert report.ok
    assert (report.events, report.first_seq, report.last_seq) == (10, 1, 10)


def test_edited_event_is_reported_as_broken_at_its_line(log: Path) -> None:
    lines = _lines(log)
    event = json.loads(lines[4])
    event["decision"] = "block"
    lines[4] = json.dumps(event, sort_keys=True, separators=(",", ":")) + "\n"
    log.write_text("".join(lines))
    problem = verify_files([log], KEY).problem
    assert problem is not None
    assert (problem.kind, problem.line, problem.seq) == ("broken", 5, 5)


def test_deleted_event_is_reported_as_missing(log: Path) -> None:
    lines = _lines(log)
    del lines[6]
    log.write_text("".join(lines))
    problem = verify_files([log], KEY).problem
    assert problem is not None
    assert problem.kind == "missing"
    assert "seq 7 " in problem.message
    assert problem.seq == 8


def test_swapped_events_are_reported_as_reordered(log: Path) -> None:
    lines = _lines(log)
    lines[2], lines[3] = lines[3], lines[2]
    log.write_text("".join(lines))
    problem = verify_files([log], KEY).problem
    assert problem is not None
    assert (problem.kind, problem.line, problem.seq) == ("reordered", 3, 4)


def test_garbage_line_is_reported_as_broken(log: Path) -> None:
    lines = _lines(log)
    lines.insert(3, '{"event": "request", "decision": "allow"}\n')
    log.write_text("".join(lines))
    problem = verify_files([log], KEY).problem
    assert problem is not None
    assert (problem.kind, problem.line) == ("broken", 4)


def test_forged_event_with_recomputed_link_fails_without_the_key(log: Path) -> None:
    forger = HmacChain(b"not-the-key")
    lines = _lines(log)
    last = json.loads(lines[-1])
    forger._state = type(forger.state)(last["seq"], last["mac"])
    forged = forger.link({"event": "request", "decision": "allow"})
    log.write_text("".join(lines) + json.dumps(forged, sort_keys=True) + "\n")
    problem = verify_files([log], KEY).problem
    assert problem is not None
    assert (problem.kind, problem.seq) == ("broken", 11)


def test_wrong_key_fails_on_the_first_event(log: Path) -> None:
    problem = verify_files([log], b"other-key").problem
    assert problem is not None
    assert (problem.kind, problem.line) == ("broken", 1)


def test_chain_spans_files_given_in_any_order(tmp_path: Path) -> None:
    a, b, c = tmp_path / "audit.jsonl.2", tmp_path / "audit.jsonl.1", tmp_path / "audit.jsonl"
    chain = write_chain(a, 3)
    chain = write_chain(b, 3, start=chain)
    write_chain(c, 3, start=chain)
    report = verify_files([c, a, b], KEY)
    assert report.ok
    assert report.events == 9


def test_deleted_middle_file_is_reported_as_missing(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    chain = write_chain(a, 3)
    chain = write_chain(b, 3, start=chain)
    write_chain(c, 3, start=chain)
    problem = verify_files([a, c], KEY).problem
    assert problem is not None
    assert problem.kind == "missing"
    assert (problem.file, problem.line) == (str(c), 1)


def test_cli_verify_reports_ok(
    log: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TOLLGATE_AUDIT_KEY", KEY.decode())
    assert main(["audit", "verify", str(log)]) == 0
    assert "ok: 10 events" in capsys.readouterr().out


def test_cli_verify_names_the_first_problem(
    log: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = _lines(log)
    del lines[2]
    log.write_text("".join(lines))
    monkeypatch.setenv("TOLLGATE_AUDIT_KEY", KEY.decode())
    assert main(["audit", "verify", str(log)]) == 1
    out = capsys.readouterr().out
    assert f"missing: {log}:3:" in out


def test_cli_verify_without_a_key_is_a_usage_error(
    log: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TOLLGATE_AUDIT_KEY", raising=False)
    assert main(["audit", "verify", str(log)]) == 2
    assert "no key" in capsys.readouterr().err


def test_cli_verify_takes_the_key_settings_from_a_config(
    log: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "tollgate.yaml"
    config.write_text("audit:\n  key_env: MY_AUDIT_KEY\n")
    monkeypatch.setenv("MY_AUDIT_KEY", KEY.decode())
    assert main(["audit", "verify", "--config", str(config), str(log)]) == 0
    assert "ok: 10 events" in capsys.readouterr().out
