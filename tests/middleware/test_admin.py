from __future__ import annotations

import aiohttp

from middleware.addons import Addon
from tests.conftest import Running, StartTollgate, chat_body


async def test_healthz(tollgate: Running, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{tollgate.admin_url}/healthz") as resp:
        assert resp.status == 200
        assert (await resp.json())["status"] == "ok"


async def test_readyz_after_startup(tollgate: Running, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{tollgate.admin_url}/readyz") as resp:
        assert resp.status == 200
        assert (await resp.json())["status"] == "ready"


class _Unhealthy(Addon):
    name = "unhealthy"

    def health(self) -> dict[str, object]:
        return {"ok": False, "reason": "backend down"}


async def test_readyz_fails_when_an_addon_is_unhealthy(
    upstream: object, start_tollgate: StartTollgate, http: aiohttp.ClientSession
) -> None:
    running = await start_tollgate("http://127.0.0.1:9", addons=[_Unhealthy()])
    async with http.get(f"{running.admin_url}/readyz") as resp:
        assert resp.status == 503
        body = await resp.json()
    assert body["checks"]["unhealthy"]["reason"] == "backend down"


async def test_metrics_count_requests_by_route_and_status(
    tollgate: Running, http: aiohttp.ClientSession
) -> None:
    async with http.post(f"{tollgate.url}/v1/chat/completions", json=chat_body()) as resp:
        assert resp.status == 200
    async with http.get(f"{tollgate.admin_url}/metrics") as resp:
        text = await resp.text()
    assert 'tollgate_requests_total{decision="allow",route="openai_chat",status="200"}' in text
    assert "tollgate_request_duration_seconds_bucket" in text
    assert "tollgate_upstream_duration_seconds_bucket" in text
    assert "tollgate_requests_in_flight" in text
