"""Command line: ``tollgate policy lint|test|explain|diff|schema`` and ``tollgate scan``.

``register(subparsers)`` adds the commands to the ``tollgate`` parser
(``middleware.cli``); ``python -m middleware.policy.cli`` runs them alone.
Each command function takes the parsed arguments and returns the exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from middleware.policy._conditions import RequestFacts
from middleware.policy._diff import diff_corpus, format_diff
from middleware.policy._engine import PolicyEngine
from middleware.policy._explain import explain_dict, explain_text
from middleware.policy._inputs import InputError, ToolInput, from_json_line, from_text
from middleware.policy._jsonschema import SCHEMA_FILE, render_schema
from middleware.policy._lint import lint_policy_dir
from middleware.policy._loader import PolicyLoadError, load_policy_set
from middleware.policy._scan import scan_lines
from middleware.policy._sources import FindingSource, NoDetectors, build_source
from middleware.policy._testing import format_report, run_policy_tests

__all__ = ["main", "register"]

Subparsers = argparse._SubParsersAction  # the type argparse gives add_subparsers()


def _default_policy_dir() -> str:
    return os.environ.get("TOLLGATE_POLICY_DIR", "policies")


def _source(args: argparse.Namespace) -> FindingSource:
    """The detectors for a tool run: ``--config``'s, else every registered one."""
    if getattr(args, "no_detectors", False):
        return NoDetectors()
    options: dict[str, Any] = {}
    if getattr(args, "config", None):
        from middleware.config import load_config

        options = dict(load_config(args.config).detectors)
    try:
        return build_source(options)
    except Exception as exc:  # a tool still runs (rules needing detectors report it)
        print(f"warning: detectors unavailable: {exc}", file=sys.stderr)
        return NoDetectors()


def _engine(path: str, source: FindingSource) -> PolicyEngine | None:
    try:
        return PolicyEngine.compile(load_policy_set(path), source)
    except PolicyLoadError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        return None


def _facts(args: argparse.Namespace) -> RequestFacts:
    return RequestFacts(
        tenant=args.tenant,
        tier=args.tier,
        route=args.route,
        model=args.model,
        stream=args.stream,
        reasoning_budget=args.reasoning_budget,
        actor_risk=args.actor_risk,
    )


# -- commands -----------------------------------------------------------------


def cmd_lint(args: argparse.Namespace) -> int:
    """Lint; exit 1 on errors (``--strict``: on warnings too).

    Finding kinds are checked against the installed detectors' exact kinds
    (so ``pii.EMAIL`` for ``pii.EMAIL_ADDRESS`` is caught) and, for detectors
    not installed, against the catalog of Tollgate's detectors.
    """
    issues = lint_policy_dir(args.path, _source(args).kinds())
    if args.json:
        print(json.dumps([vars_of(i) for i in issues], indent=2))
    else:
        for issue in issues:
            print(issue)
        errors = sum(i.severity == "error" for i in issues)
        print(f"{errors} errors, {len(issues) - errors} warnings")
    failing = [i for i in issues if i.severity == "error" or args.strict]
    return 1 if failing else 0


def vars_of(issue: Any) -> dict[str, Any]:
    """A lint issue as a dict."""
    return {"severity": issue.severity, "code": issue.code, "message": issue.message,
            "file": issue.file, "line": issue.line, "rule_id": issue.rule_id}  # fmt: skip


def cmd_test(args: argparse.Namespace) -> int:
    """Run the policy tests; exit 1 on any failure or error."""
    pattern = args.k
    report = run_policy_tests(
        args.path,
        _source(args),
        select=(lambda name: pattern.lower() in name.lower()) if pattern else None,
    )
    print(format_report(report, verbose=args.verbose))
    return 0 if report.ok else 1


def _explain_input(args: argparse.Namespace) -> ToolInput:
    facts = _facts(args)
    if args.text is not None:
        return from_text(args.text, args.direction, facts)
    if args.file is not None:
        return from_text(Path(args.file).read_text(encoding="utf-8"), args.direction, facts)
    raw = sys.stdin.read() if args.json_input == "-" else Path(args.json_input).read_text("utf-8")
    return from_json_line(json.loads(raw), args.direction, facts)


def cmd_explain(args: argparse.Namespace) -> int:
    """Explain one input's decision."""
    engine = _engine(args.policy, _source(args))
    if engine is None:
        return 1
    try:
        inp = _explain_input(args)
    except (InputError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    decision = engine.evaluate_sync(inp.segments, inp.direction, inp.facts)
    if args.json:
        print(json.dumps(explain_dict(engine, inp, decision), indent=2, ensure_ascii=False))
    else:
        print(explain_text(engine, inp, decision))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    """Compare two policy versions on a corpus."""
    source = _source(args)
    old, new = _engine(args.old, source), _engine(args.new, source)
    if old is None or new is None:
        return 1
    with open(args.corpus, encoding="utf-8") as corpus:
        report = diff_corpus(old, new, corpus, args.direction, _facts(args), examples=args.examples)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(format_diff(report))
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    """Screen a JSONL corpus: one decision line per input line, in order."""
    engine = _engine(args.policy, _source(args))
    if engine is None:
        return 1
    stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    try:
        for record in scan_lines(engine, stream, args.direction, _facts(args)):
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        if stream is not sys.stdin:
            stream.close()
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """Print, write or check the JSON Schema file."""
    text = render_schema()
    if args.check:
        current = Path(args.check).read_text(encoding="utf-8") if Path(args.check).exists() else ""
        if current != text:
            print(f"{args.check} is stale: run tollgate policy schema --write {args.check}")
            return 1
        return 0
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")
        return 0
    sys.stdout.write(text)
    return 0


# -- parser ---------------------------------------------------------------------


def _detector_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="tollgate config file whose detectors to use")
    p.add_argument("--no-detectors", action="store_true", help="run without detectors")


def _fact_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tenant")
    p.add_argument("--tier")
    p.add_argument("--route", default="openai_chat", help="API route (default openai_chat)")
    p.add_argument("--model")
    p.add_argument("--stream", action="store_true")
    p.add_argument("--reasoning-budget", choices=("low", "medium", "high", "maximum"))
    p.add_argument("--actor-risk", type=float, default=0.0)
    p.add_argument("--direction", choices=("input", "output", "reasoning"), default="input")


def register(subparsers: Subparsers[argparse.ArgumentParser]) -> None:
    """Add ``policy`` (lint, test, explain, diff, schema) and ``scan`` to ``tollgate``."""
    policy = subparsers.add_parser("policy", help="lint, test, explain and diff policies")
    sub = policy.add_subparsers(dest="policy_command", required=True, metavar="COMMAND")

    lint = sub.add_parser("lint", help="validate a policy directory")
    lint.add_argument("path", help="policy directory or file")
    lint.add_argument("--strict", action="store_true", help="fail on warnings too")
    lint.add_argument("--json", action="store_true", help="issues as JSON")
    _detector_args(lint)
    lint.set_defaults(func=cmd_lint)

    test = sub.add_parser("test", help="run the test cases kept beside the policies")
    test.add_argument("path", help="policy directory")
    test.add_argument("-k", help="only cases whose name contains this")
    test.add_argument("-v", "--verbose", action="store_true")
    _detector_args(test)
    test.set_defaults(func=cmd_test)

    explain = sub.add_parser("explain", help="show which rules fire on an input, and why")
    given = explain.add_mutually_exclusive_group(required=True)
    given.add_argument("--text", help="the text to evaluate")
    given.add_argument("--file", help="a text file to evaluate")
    given.add_argument("--json-input", metavar="FILE", help="a request/response JSON ('-': stdin)")
    explain.add_argument("--policy", default=_default_policy_dir())
    explain.add_argument("--json", action="store_true", help="machine-readable output")
    _fact_args(explain)
    _detector_args(explain)
    explain.set_defaults(func=cmd_explain)

    diff = sub.add_parser("diff", help="compare decisions of two policy versions on a corpus")
    diff.add_argument("old", help="old policy directory")
    diff.add_argument("new", help="new policy directory")
    diff.add_argument("--corpus", required=True, help="JSONL corpus (as for scan)")
    diff.add_argument("--examples", type=int, default=5, help="examples per category")
    diff.add_argument("--json", action="store_true")
    _fact_args(diff)
    _detector_args(diff)
    diff.set_defaults(func=cmd_diff)

    schema = sub.add_parser("schema", help=f"print, write or check {SCHEMA_FILE}")
    schema.add_argument("--write", metavar="PATH")
    schema.add_argument("--check", metavar="PATH")
    schema.set_defaults(func=cmd_schema)

    scan = subparsers.add_parser("scan", help="screen a JSONL corpus; one decision per line")
    scan.add_argument("file", nargs="?", default="-", help="JSONL file (default stdin)")
    scan.add_argument("--policy", default=_default_policy_dir(), help="policy directory")
    _fact_args(scan)
    _detector_args(scan)
    scan.set_defaults(func=cmd_scan)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the policy commands without the rest of ``tollgate``."""
    parser = argparse.ArgumentParser(prog="tollgate")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
