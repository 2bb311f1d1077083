"""Tollgate's foundation alone: the pipeline, adapters and access metrics, no feature addons.

What the foundation costs before identity, throttling, policy, streaming
screening and audit are added; the proxy benchmark runs it beside the full
configurations. Usage: python bench/foundation_proxy.py PORT UPSTREAM_URL
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web

from middleware.access import AccessAddon
from middleware.app import create_app
from middleware.config import load_config
from middleware.logs import configure_logging

if __name__ == "__main__":
    port, upstream = int(sys.argv[1]), sys.argv[2]
    config = load_config(
        None,
        environ={},
        overrides={("upstream", "url"): upstream, ("logging", "access_log"): False},
    )
    configure_logging(config.logging)
    app = create_app(config, addons=[AccessAddon(log_requests=False)])
    web.run_app(
        app, host="127.0.0.1", port=port, print=None, access_log=None, handler_cancellation=True
    )
