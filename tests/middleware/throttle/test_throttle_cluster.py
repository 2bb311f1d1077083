"""Redis Cluster: every key of one API key hashes to one slot, so the Lua scripts
run unchanged against a cluster (here a single-node cluster owning all slots)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from middleware.throttle import (
    Charge,
    LimitSpec,
    RedisBackend,
    ReservePlan,
    SettlePlan,
)
from tests.middleware.throttle.conftest import RedisServer, free_cluster_port, redis_settings

KEY = "k_" + "9a" * 12


def _cmd(server: RedisServer, *args: Any) -> Any:
    execute: Any = server.client.execute_command
    return execute(*args)


@pytest.fixture
def cluster_node(tmp_path: Path) -> Iterator[RedisServer]:
    conf = str(tmp_path / "nodes.conf")
    server = RedisServer(
        tmp_path,
        ("--cluster-enabled", "yes", "--cluster-config-file", conf),
        port=free_cluster_port(),
    )
    _cmd(server, "CLUSTER", "ADDSLOTSRANGE", 0, 16383)
    deadline = time.monotonic() + 10
    while b"cluster_state:ok" not in _cmd(server, "CLUSTER", "INFO"):
        if time.monotonic() > deadline:
            pytest.fail("single-node cluster did not come up")
        time.sleep(0.05)
    yield server
    server.stop()


async def test_scripts_run_on_a_cluster(cluster_node: RedisServer) -> None:
    backend = RedisBackend(redis_settings(cluster_node.url, cluster=True, timeout_ms=2000))
    rate = LimitSpec("requests_per_day", "requests", 2, 86400.0, 2, False)
    lease = LimitSpec("concurrent_requests", "concurrency", 5, 0.0, 5, False)
    plan = ReservePlan((Charge(rate), Charge(lease)), "L1", 60.0, 3600.0)
    statuses = [(await backend.reserve(KEY, plan)).status for _ in range(3)]
    assert statuses == ["admitted", "admitted", "limited"]
    await backend.settle(KEY, SettlePlan((), (lease,), "L1", 3600.0, risk_points=1.0))
    keys = cluster_node.client.keys("*")
    slots = {_cmd(cluster_node, "CLUSTER", "KEYSLOT", k) for k in keys}
    assert len(keys) >= 2 and len(slots) == 1  # the emptied lease set is gone
    await backend.close()
