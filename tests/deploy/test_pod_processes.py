"""The sidecar pod, run as processes: the manifests' commands, env, config and probes.

Without a container engine, the pod of deploy/kubernetes/base is reproduced with real
processes on 127.0.0.1: the ``api`` and ``tollgate`` containers' args through the real
``tollgate`` CLI, the Tollgate container's environment (Secret values resolved), the
ConfigMaps laid out as kubelet mounts them, and a real Redis. Only the listening ports are
moved to free ones (through the documented ``TOLLGATE_*`` overrides), and the mount paths
to a temporary directory.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from tests.deploy._kubelet import ConfigMapVolume
from tests.deploy._loaders import (
    Manifest,
    configmap_file,
    container,
    find,
    kustomize_build,
    one,
)

OBJECTS = kustomize_build("base")
DEPLOYMENT = one(OBJECTS, "Deployment", "tollgate")
TOLLGATE = container(DEPLOYMENT, "tollgate")
API = container(DEPLOYMENT, "api")
SECRET = one(OBJECTS, "Secret", "tollgate-secrets")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _mount_path(volume: str) -> str:
    path: str = next(m for m in TOLLGATE["volumeMounts"] if m["name"] == volume)["mountPath"]
    return path


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A real Redis on a free loopback port (the pod's shared-state backend)."""
    server = shutil.which("redis-server")
    assert server, "redis-server (installed by .ci/run) is needed"
    port = _free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    try:
        for _ in range(500):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, "redis-server exited"
            time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@dataclass
class Pod:
    """The running pod: its ports, processes and the tollgate container's log."""

    http: int
    admin: int
    tollgate: subprocess.Popen[bytes]
    log: Path


def _pod_env(
    tmp: Path, secrets: dict[str, str], ports: dict[str, int], redis: str
) -> dict[str, str]:
    """The tollgate container's env, Secret refs resolved, paths and ports moved."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOLLGATE_")}
    for entry in TOLLGATE["env"]:
        if "value" in entry:
            env[entry["name"]] = entry["value"]
            continue
        ref = entry["valueFrom"]["secretKeyRef"]
        if ref["key"] in secrets:
            env[entry["name"]] = secrets[ref["key"]]
        else:
            assert ref.get("optional"), f"secret key {ref['key']} missing"
    config = Path(env["TOLLGATE_CONFIG"])
    assert str(config.parent) == _mount_path("config")
    (tmp / "config").mkdir(exist_ok=True)
    env["TOLLGATE_CONFIG"] = str(tmp / "config" / config.name)
    env["TOLLGATE_POLICY__DIR"] = str(tmp / "policies")
    env["TOLLGATE_PORT"] = str(ports["http"])
    env["TOLLGATE_ADMIN_PORT"] = str(ports["admin"])
    env["TOLLGATE_UPSTREAM_URL"] = f"http://127.0.0.1:{ports['api']}"
    env.setdefault("TOLLGATE_REDIS_URL", redis)
    return env


def _start_api(port: int, log: Path) -> subprocess.Popen[bytes]:
    args = list(API["args"])
    args[args.index("--port") + 1] = str(port)
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "middleware.cli", *args], stdout=out,
                                stderr=subprocess.STDOUT)  # fmt: skip


def _start_tollgate(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "middleware.cli", *TOLLGATE["args"]],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _lay_out_volumes(tmp: Path, env: dict[str, str]) -> None:
    Path(env["TOLLGATE_CONFIG"]).write_text(
        configmap_file(OBJECTS, "tollgate-config", "tollgate.yaml"), encoding="utf-8"
    )
    policies = one(OBJECTS, "ConfigMap", "tollgate-policies")["data"]
    ConfigMapVolume(tmp / "policies").write(policies)


def _real_secrets() -> dict[str, str]:
    placeholders: dict[str, str] = SECRET["stringData"]
    return {key: f"test-{key}-0123456789abcdef" for key in placeholders}


async def _get(url: str) -> int:
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as resp,
        ):
            return resp.status
    except (TimeoutError, aiohttp.ClientError):
        return 0


@pytest.fixture
async def pod(tmp_path: Path, redis_url: str) -> AsyncIterator[Pod]:
    ports = {"http": _free_port(), "admin": _free_port(), "api": _free_port()}
    env = _pod_env(tmp_path, _real_secrets(), ports, redis_url)
    _lay_out_volumes(tmp_path, env)
    api = _start_api(ports["api"], tmp_path / "api.log")
    log = tmp_path / "tollgate.log"
    tollgate = _start_tollgate(env, log)
    try:
        yield Pod(ports["http"], ports["admin"], tollgate, log)
    finally:
        for proc in (tollgate, api):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            proc.wait(
                timeout=DEPLOYMENT["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
            )


def _probe_url(pod: Pod, probe: Manifest) -> str:
    get = probe["httpGet"]
    port = {"admin": pod.admin, "http": pod.http}[get["port"]]
    return f"http://127.0.0.1:{port}{get['path']}"


async def _wait_started(pod: Pod) -> None:
    """Poll the startup probe within kubelet's budget (``failureThreshold`` periods)."""
    probe = TOLLGATE["startupProbe"]
    for _ in range(probe["failureThreshold"] * 4):
        if await _get(_probe_url(pod, probe)) == 200:
            return
        assert pod.tollgate.poll() is None, pod.log.read_text(errors="replace")[-2000:]
        await asyncio.sleep(probe["periodSeconds"] / 4)
    raise AssertionError("the startup probe never passed: " + pod.log.read_text()[-2000:])


async def test_probes_pass_and_a_request_goes_through_the_service_port(pod: Pod) -> None:
    await _wait_started(pod)
    assert await _get(_probe_url(pod, TOLLGATE["livenessProbe"])) == 200
    ready = TOLLGATE["readinessProbe"]
    for _ in range(100):
        if await _get(_probe_url(pod, ready)) == 200:
            break
        await asyncio.sleep(0.1)
    assert await _get(_probe_url(pod, ready)) == 200
    body = {"model": "demo-chat", "messages": [{"role": "user", "content": "Hello"}]}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{pod.http}/v1/chat/completions",
            json=body,
            headers={"authorization": "Bearer sk-client-key"},
        ) as resp,
    ):
        assert resp.status == 200
        assert (await resp.json())["choices"][0]["message"]["content"]
    monitor = one(OBJECTS, "ServiceMonitor", "tollgate")
    path = monitor["spec"]["endpoints"][0]["path"]
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{pod.admin}{path}") as resp,
    ):
        assert "tollgate_requests_total" in await resp.text()


async def test_sigterm_drains_and_exits_cleanly_within_the_grace_period(pod: Pod) -> None:
    await _wait_started(pod)
    pod.tollgate.send_signal(signal.SIGTERM)
    grace = DEPLOYMENT["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    code = await asyncio.to_thread(pod.tollgate.wait, grace)
    assert code == 0


async def test_the_placeholder_secret_keeps_tollgate_from_starting(
    tmp_path: Path, redis_url: str
) -> None:
    ports = {"http": _free_port(), "admin": _free_port(), "api": _free_port()}
    env = _pod_env(tmp_path, dict(SECRET["stringData"]), ports, redis_url)
    _lay_out_volumes(tmp_path, env)
    log = tmp_path / "tollgate.log"
    proc = _start_tollgate(env, log)
    code = await asyncio.to_thread(proc.wait, 120)
    assert code != 0
    assert "TOLLGATE_KEY_SECRET" in log.read_text(errors="replace")


def test_every_deployment_in_the_build_is_accounted_for() -> None:
    names = {d["metadata"]["name"] for d in find(OBJECTS, "Deployment")}
    assert names == {"tollgate", "tollgate-redis"}  # tollgate-redis: the redis_url fixture
