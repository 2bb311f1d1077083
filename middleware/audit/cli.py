"""``tollgate audit verify FILES...`` and ``tollgate audit summary FILES...``.

``verify`` exits 0 when the chain is intact, 1 at the first broken,
missing or reordered event (printed with file and line), 2 when it cannot
run (no key, unreadable file). The key comes from ``--key-env`` (default
``TOLLGATE_AUDIT_KEY``) or the ``audit`` section of ``--config``.
"""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["register"]


def _key(args: argparse.Namespace) -> bytes | None:
    if args.config:
        from middleware.audit._settings import parse_audit_settings, resolve_key
        from middleware.config import load_config

        settings = parse_audit_settings(load_config(args.config).audit)
        key, configured = resolve_key(settings)
        return key if configured else None
    value = os.environ.get(args.key_env, "")
    return value.encode() if value else None


def _verify(args: argparse.Namespace) -> int:
    from middleware.audit._verify import verify_files
    from middleware.config import ConfigError

    try:
        key = _key(args)
    except (ConfigError, ValueError) as exc:
        print(f"tollgate audit verify: {exc}", file=sys.stderr)
        return 2
    if key is None:
        print(
            f"tollgate audit verify: no key: set ${args.key_env} (or audit.key_env in --config)",
            file=sys.stderr,
        )
        return 2
    try:
        report = verify_files(args.files, key)
    except OSError as exc:
        print(f"tollgate audit verify: {exc}", file=sys.stderr)
        return 2
    span = f"seq {report.first_seq}..{report.last_seq}" if report.events else "no events"
    if report.problem is not None:
        print(f"FAILED after {report.events} good events ({span}): {report.problem}")
        return 1
    print(f"ok: {report.events} events ({span}) in {len(report.files)} file(s)")
    return 0


def _summary(args: argparse.Namespace) -> int:
    from middleware.audit._summary import summarize_files

    try:
        summary = summarize_files(args.files)
    except OSError as exc:
        print(f"tollgate audit summary: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(summary.render(top=args.top))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``audit`` command group: verify, summary."""
    audit = sub.add_parser("audit", help="audit log tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", help="check the HMAC chain of audit files")
    verify.add_argument("files", nargs="+", help="audit files (any order, e.g. audit.jsonl*)")
    verify.add_argument("--key-env", default="TOLLGATE_AUDIT_KEY", help="env var with the key")
    verify.add_argument("--config", help="take the key settings from this configuration")
    verify.set_defaults(func=_verify)
    summary = audit_sub.add_parser("summary", help="decisions, rules, tenants, latencies")
    summary.add_argument("files", nargs="+", help="audit files")
    summary.add_argument("--top", type=int, default=10, help="rows per table")
    summary.set_defaults(func=_summary)
