"""The security team's tools: lint, test, explain, diff, scan (functions and a subprocess)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from middleware.policy import NoDetectors, PolicyEngine, RequestFacts, load_policy_set
from middleware.policy._diff import diff_corpus
from middleware.policy._lint import lint_policy_dir
from middleware.policy._scan import scan_lines
from middleware.policy._testing import format_report, run_policy_tests
from middleware.policy.cli import main

BLOCK_AWS = """
- id: secrets.aws.block
  title: Block AWS keys
  categories: [secrets]
  when: {finding: {kind: secret.aws_access_key}}
  action: block
"""
REDACT_EMAIL = """
- id: pii.email.redact
  title: Redact e-mail
  categories: [pii]
  when: {finding: {kind: pii.EMAIL_ADDRESS}}
  action: redact
"""
TESTS = """\
apiVersion: tollgate.dev/v1
kind: PolicyTests
metadata: {name: t}
tests:
  - name: aws key is blocked
    text: key AKIAABCDEFGHIJKLMNOP
    expect: {decision: block, rules: [secrets.aws.block]}
  - name: plain text passes
    text: hello
    expect: {decision: allow, absent_rules: [secrets.aws.block]}
"""


def codes(issues: list[Any]) -> list[str]:
    return sorted(i.code for i in issues)


def test_lint_reports_regex_kind_expiry_cannot_fire_and_untested(
    write_policy: Callable[..., Path],
) -> None:
    root = write_policy(
        """
        - id: bad.regex
          title: t
          categories: [secrets]
          when: {regex: {patterns: "(unclosed"}}
          action: flag
        - id: bad.kind
          title: t
          categories: [pii]
          when: {finding: {kind: astrology.horoscope}}
          action: flag
          mode: monitor
        - id: old.exception
          title: t
          categories: [pii]
          mode: monitor
          when: {keywords: {words: [x]}}
          action: flag
          exceptions: [{tenant: acme, reason: pilot, expires: 2020-01-01}]
        - id: never
          title: t
          categories: [budget]
          mode: monitor
          when: {all: [{tier: free}, {tier: pro}]}
          action: flag
        - id: redact.nothing
          title: t
          categories: [pii]
          mode: monitor
          when: {tier: free}
          action: redact
        - id: untested
          title: t
          categories: [pii]
          when: {keywords: {words: [y]}}
          action: flag
        """
    )
    issues = lint_policy_dir(root)
    assert codes(issues) == sorted(
        [
            "regex",
            "unknown-kind",
            "expired-exception",
            "cannot-fire",
            "cannot-fire",
            "untested",
            "untested",
        ]
    )
    regex = next(i for i in issues if i.code == "regex")
    assert regex.severity == "error" and regex.line == 8 and regex.rule_id == "bad.regex"
    assert next(i for i in issues if i.code == "expired-exception").severity == "warning"


def test_lint_cli_exit_codes(write_policy: Callable[..., Path], capsys: Any) -> None:
    root = write_policy(BLOCK_AWS)
    assert main(["policy", "lint", str(root)]) == 0  # untested is a warning
    assert main(["policy", "lint", "--strict", str(root)]) == 1
    (root / "broken.yaml").write_text("kind: Policy\n", "utf-8")
    assert main(["policy", "lint", str(root)]) == 1
    assert "broken.yaml" in capsys.readouterr().out


def test_policy_test_reports_pass_fail_like_pytest(
    write_policy: Callable[..., Path], source: Any
) -> None:
    root = write_policy(BLOCK_AWS)
    (root / "tests").mkdir()
    (root / "tests" / "t.yaml").write_text(TESTS, "utf-8")
    report = run_policy_tests(root, source)
    assert report.ok and report.count("passed") == 2
    (root / "tests" / "t.yaml").write_text(TESTS.replace("decision: block", "decision: redact"))
    failed = run_policy_tests(root, source)
    text = format_report(failed)
    assert not failed.ok and "F" in text.splitlines()[0]
    assert "decision: expected redact, got block" in text and "1 passed, 1 failed" in text


def test_policy_test_calls_missing_detectors_errors(write_policy: Callable[..., Path]) -> None:
    root = write_policy(BLOCK_AWS)
    (root / "tests").mkdir()
    (root / "tests" / "t.yaml").write_text(TESTS, "utf-8")
    report = run_policy_tests(root, NoDetectors())
    assert report.count("error") == 2 and report.missing_detectors == ("secrets",)
    assert "detector unavailable: secrets" in format_report(report)


def test_explain_json_names_rules_spans_and_decision(
    write_policy: Callable[..., Path], capsys: Any, monkeypatch: pytest.MonkeyPatch, source: Any
) -> None:
    root = write_policy(REDACT_EMAIL)
    monkeypatch.setattr("middleware.policy.cli._source", lambda args: source)
    argv = ["policy", "explain", "--policy", str(root), "--text", "mail jo@example.com", "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["decision"] == "redact"
    [rule] = out["rules"]
    assert rule["id"] == "pii.email.redact" and rule["line"] == 5
    assert rule["spans"][0]["text"] == "jo@example.com"
    assert out["redacted"] == {"0": "mail <EMAIL_ADDRESS>"}
    assert main(argv[:-1]) == 0
    human = capsys.readouterr().out
    assert "decision: redact" in human and "pii.email.redact" in human


def test_scan_writes_one_stable_line_per_input_line(
    write_policy: Callable[..., Path], source: Any
) -> None:
    engine = PolicyEngine.compile(load_policy_set(write_policy(BLOCK_AWS + REDACT_EMAIL)), source)
    lines = [
        json.dumps({"text": "AKIAABCDEFGHIJKLMNOP and a@b.io"}),
        "not json",
        json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}),
    ]
    out = list(scan_lines(engine, lines, "input", RequestFacts(route="openai_chat")))
    assert out[0] == {
        "decision": "block",
        "rules": [
            {"id": "secrets.aws.block", "action": "block", "mode": "enforce",
             "categories": ["secrets"]},
            {"id": "pii.email.redact", "action": "redact", "mode": "enforce",
             "categories": ["pii"]},
        ],
        "findings": [
            {"kind": "pii.EMAIL_ADDRESS", "score": 0.9, "count": 1},
            {"kind": "secret.aws_access_key", "score": 1.0, "count": 1},
        ],
    }  # fmt: skip
    assert out[1]["decision"] is None and out[1]["error"].startswith("invalid JSON")
    assert out[2] == {"decision": "allow", "rules": [], "findings": []}


def test_diff_counts_newly_blocked_unblocked_and_changed(
    tmp_path: Path, policy_text: Callable[..., str], source: Any
) -> None:
    def engine(name: str, rules: str) -> PolicyEngine:
        root = tmp_path / name
        root.mkdir()
        (root / "p.yaml").write_text(policy_text(rules), "utf-8")
        return PolicyEngine.compile(load_policy_set(root), source)

    old = engine("old", BLOCK_AWS + REDACT_EMAIL)
    new = engine("new", REDACT_EMAIL.replace("action: redact", "action: block"))
    corpus = [json.dumps({"text": t}) for t in ("AKIAABCDEFGHIJKLMNOP", "a@b.io", "hi", "hi")]
    report = diff_corpus(old, new, corpus, "input", RequestFacts())
    assert report.total == 4
    assert (report.counts["newly_blocked"], report.counts["unblocked"]) == (1, 1)
    assert report.counts["unchanged"] == 2
    assert report.transitions == {"redact -> block": 1, "block -> allow": 1}
    [example] = report.examples["newly_blocked"]
    assert (example.line, example.new_rules) == (2, ("pii.email.redact",))


def test_scan_subprocess_reads_stdin_and_keeps_order(tmp_path: Path, policy_text: Any) -> None:
    root = tmp_path / "p"
    root.mkdir()
    rules = """
- id: kw
  title: t
  categories: [prompt_injection]
  when: {keywords: {words: [ignore previous instructions]}}
  action: block
"""
    (root / "p.yaml").write_text(policy_text(rules), "utf-8")
    corpus = "\n".join(json.dumps({"text": t}) for t in ("hello", "Ignore previous instructions!"))
    proc = subprocess.run(
        [sys.executable, "-m", "middleware.policy.cli", "scan", "--policy", str(root),
         "--no-detectors"],
        input=corpus, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    decisions = [json.loads(line)["decision"] for line in io.StringIO(proc.stdout)]
    assert decisions == ["allow", "block"]


def test_explain_reads_a_request_json(
    write_policy: Callable[..., Path],
    tmp_path: Path,
    capsys: Any,
    monkeypatch: pytest.MonkeyPatch,
    source: Any,
) -> None:
    root = write_policy(BLOCK_AWS)
    monkeypatch.setattr("middleware.policy.cli._source", lambda args: source)
    body = {"model": "gpt-4o", "messages": [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "AKIAABCDEFGHIJKLMNOP"}]}  # fmt: skip
    request = tmp_path / "req.json"
    request.write_text(json.dumps(body), "utf-8")
    argv = ["policy", "explain", "--policy", str(root), "--json-input", str(request), "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["decision"] == "block" and out["facts"]["model"] == "gpt-4o"
    assert out["rules"][0]["spans"][0]["segment"] == 1
    assert out["rules"][0]["spans"][0]["role"] == "user"


def test_lint_checks_exact_kinds_of_installed_detectors(write_policy: Callable[..., Path]) -> None:
    root = write_policy(
        """
        - id: typo
          title: t
          categories: [pii]
          mode: monitor
          when: {finding: {kind: pii.EMAIL}}
          action: flag
        """
    )
    installed = {"pii": frozenset({"pii.EMAIL_ADDRESS", "pii.PHONE_NUMBER"})}
    assert codes(lint_policy_dir(root)) == []  # the catalog alone knows only pii.*
    assert codes(lint_policy_dir(root, installed)) == ["unknown-kind"]
