"""Shared fixtures: a real demo upstream and a real Tollgate, both on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import settings

from middleware.addons import Addon
from middleware.admin import create_admin_app
from middleware.app import create_app
from middleware.config import Config, load_config
from middleware.demo_upstream import create_demo_app

# No per-example deadline: it is a timing assertion, and on a loaded CI
# machine a cold first example (imports, compiled patterns) can miss it.
settings.register_profile("tollgate", deadline=None)
settings.load_profile("tollgate")


@dataclass
class Running:
    """A started Tollgate: proxy and admin base URLs, and its app."""

    url: str
    admin_url: str
    app: web.Application
    config: Config


StartTollgate = Callable[..., Awaitable[Running]]


@pytest.fixture
async def upstream() -> AsyncIterator[TestServer]:
    """The bundled demo upstream on a free loopback port."""
    server = TestServer(create_demo_app(), host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


@pytest.fixture
async def start_tollgate() -> AsyncIterator[StartTollgate]:
    """Start Tollgate (proxy + admin) in front of a given upstream URL."""
    servers: list[TestServer] = []

    async def start(
        upstream_url: str,
        *,
        overrides: dict[tuple[str, ...], Any] | None = None,
        addons: list[Addon] | None = None,
    ) -> Running:
        # Audit events would print into pytest's output; tests that check the
        # audit trail configure their own sinks.
        merged: dict[tuple[str, ...], Any] = {
            ("upstream", "url"): upstream_url,
            ("audit", "sinks"): [],
        }
        merged.update(overrides or {})
        config = load_config(None, environ={}, overrides=merged)
        app = create_app(config, addons=addons)
        proxy = TestServer(app, host="127.0.0.1", handler_cancellation=True)
        await proxy.start_server()
        servers.append(proxy)
        admin = TestServer(create_admin_app(app), host="127.0.0.1")
        await admin.start_server()
        servers.append(admin)
        return Running(
            url=str(proxy.make_url("")).rstrip("/"),
            admin_url=str(admin.make_url("")).rstrip("/"),
            app=app,
            config=config,
        )

    yield start
    for server in reversed(servers):
        await server.close()


@pytest.fixture
async def tollgate(upstream: TestServer, start_tollgate: StartTollgate) -> Running:
    """Tollgate with default settings in front of the demo upstream."""
    return await start_tollgate(str(upstream.make_url("")).rstrip("/"))


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP client session."""
    async with aiohttp.ClientSession() as session:
        yield session


def chat_body(text: str = "hello", **extra: Any) -> dict[str, Any]:
    """A minimal chat completions request body."""
    body: dict[str, Any] = {"model": "demo-chat", "messages": [{"role": "user", "content": text}]}
    body.update(extra)
    return body
