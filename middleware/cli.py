"""The ``tollgate`` command line.

Subcommands come from the modules in :data:`COMMAND_MODULES`; each exposes
``register(subparsers)`` and sets ``func(args) -> int`` on its parsers.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["COMMAND_MODULES", "build_parser", "main"]

#: Modules contributing subcommands, in help order.
COMMAND_MODULES: tuple[str, ...] = ("middleware.cli", "middleware.identity")

DEMO_UPSTREAM_PORT = 8090


def _serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from middleware.app import serve
    from middleware.config import ConfigError, load_config
    from middleware.demo_upstream import create_demo_app
    from middleware.logs import configure_logging

    overrides: dict[tuple[str, ...], Any] = {}
    if args.port is not None:
        overrides[("server", "port")] = args.port
    if args.admin_port is not None:
        overrides[("server", "admin_port")] = args.admin_port
    if args.upstream is not None:
        overrides[("upstream", "url")] = args.upstream
    if args.demo_upstream:
        overrides[("upstream", "url")] = f"http://127.0.0.1:{args.demo_upstream_port}"
    try:
        config = load_config(args.config, overrides=overrides)
    except ConfigError as exc:
        print(f"tollgate: {exc}", file=sys.stderr)
        return 2
    configure_logging(config.logging)

    async def run() -> None:
        demo: web.AppRunner | None = None
        if args.demo_upstream:
            demo = web.AppRunner(create_demo_app(), access_log=None)
            await demo.setup()
            await web.TCPSite(demo, "127.0.0.1", args.demo_upstream_port).start()
            print(
                f"tollgate: demo upstream on http://127.0.0.1:{args.demo_upstream_port}",
                file=sys.stderr,
            )
        try:
            await serve(config)
        finally:
            if demo is not None:
                await demo.cleanup()

    asyncio.run(run())
    return 0


def _demo_upstream(args: argparse.Namespace) -> int:
    from middleware.demo_upstream import main as demo_main

    return demo_main(["--host", args.host, "--port", str(args.port)])


def _config_check(args: argparse.Namespace) -> int:
    from middleware.config import ConfigError, load_config

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from middleware.app import build_addons

    try:
        build_addons(config)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"ok: {config.source}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The core commands: serve, demo-upstream, config check."""
    serve = sub.add_parser("serve", help="run the proxy and the admin server")
    serve.add_argument("--config", help="YAML configuration (default: $TOLLGATE_CONFIG)")
    serve.add_argument("--port", type=int, help="proxy port (default 8080)")
    serve.add_argument("--admin-port", type=int, help="admin port (default 8081)")
    serve.add_argument("--upstream", help="upstream base URL (default: config)")
    serve.add_argument(
        "--demo-upstream",
        action="store_true",
        help="also start the bundled demo upstream and proxy to it",
    )
    serve.add_argument("--demo-upstream-port", type=int, default=DEMO_UPSTREAM_PORT)
    serve.set_defaults(func=_serve)

    demo = sub.add_parser("demo-upstream", help="run the bundled fake OpenAI-compatible model")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=9000)
    demo.set_defaults(func=_demo_upstream)

    config = sub.add_parser("config", help="configuration tools")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    check = config_sub.add_parser("check", help="validate a configuration file")
    check.add_argument("config", help="YAML configuration file")
    check.set_defaults(func=_config_check)


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every module's subcommands."""
    parser = argparse.ArgumentParser(prog="tollgate", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        module = sys.modules[__name__] if name == __name__ else importlib.import_module(name)
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tollgate`` console script."""
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
