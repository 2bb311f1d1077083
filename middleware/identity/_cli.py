"""``tollgate keys hash``: turn an API key into the key id the registry uses.

The key is read from standard input only -- never from argv (visible in
``ps`` and shell history) or the environment -- so admins can fill
``identity.keys`` without ever writing a raw key into config.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from middleware.identity._addon import resolve_secret
from middleware.identity._config import IdentityConfigError, parse_identity_config
from middleware.identity._keys import key_id_for

__all__ = ["register", "run_keys_hash"]


def run_keys_hash(args: argparse.Namespace, stdin: TextIO | None = None) -> int:
    """Print one key id per non-empty stdin line; 2 on a configuration error."""
    from middleware.config import ConfigError, load_config

    src = sys.stdin if stdin is None else stdin
    try:
        config = load_config(getattr(args, "config", None))
        secret = resolve_secret(parse_identity_config(config.identity), ephemeral=False)
    except (ConfigError, IdentityConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if src.isatty():
        print("Paste the API key, then Enter and Ctrl-D:", file=sys.stderr)
    count = 0
    for line in src:
        key = line.strip()
        if key:
            print(key_id_for(key, secret))
            count += 1
    if count == 0:
        print("error: no key on standard input", file=sys.stderr)
        return 2
    return 0


def register(subparsers: Any) -> None:
    """Add ``keys hash`` to the ``tollgate`` command (an argparse subparsers object).

    Each leaf parser sets ``func(args) -> int``.
    """
    keys = subparsers.add_parser("keys", help="API key registry helpers")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    hash_cmd = keys_sub.add_parser(
        "hash",
        help="print the key id of each API key read from stdin",
        description=(
            "Reads API keys from standard input (one per line) and prints their key ids "
            "under the configured secret (identity.secret or $TOLLGATE_KEY_SECRET)."
        ),
    )
    hash_cmd.add_argument("--config", "-c", default=None, help="configuration file")
    hash_cmd.set_defaults(func=run_keys_hash)
