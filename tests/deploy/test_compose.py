"""The local stack: compose.yaml and its Prometheus and Grafana provisioning files.

compose.yaml is validated against the Compose Specification's JSON schema (bundled by
check-jsonschema, offline); every bind mount must exist; the services' addresses must be
the ones the Tollgate configuration uses; Prometheus's configuration, with the container
paths mapped back through the mounts, passes ``promtool check config``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from middleware.cli import build_parser
from middleware.config import Config, load_config
from tests.deploy._loaders import DEPLOY, REPO, admin_get_routes, load_yaml
from tests.deploy.prometheus_rule import rule_files

COMPOSE_FILE = DEPLOY / "compose.yaml"
COMPOSE: dict[str, Any] = load_yaml(COMPOSE_FILE)
SERVICES: dict[str, Any] = COMPOSE["services"]


def _compose_schema() -> dict[str, Any]:
    ref = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema: dict[str, Any] = json.loads(ref.read_text(encoding="utf-8"))
    return schema


def _binds(service: str) -> dict[str, Path]:
    """Container path -> host path of a service's bind mounts (relative to deploy/)."""
    out: dict[str, Path] = {}
    for volume in SERVICES[service].get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("."):
            out[target] = (COMPOSE_FILE.parent / source).resolve()
    return out


def _host_path(service: str, container_path: str) -> Path:
    """Where a file the container sees at ``container_path`` comes from on the host."""
    for target, source in sorted(_binds(service).items(), key=lambda kv: -len(kv[0])):
        if container_path == target or container_path.startswith(target.rstrip("/") + "/"):
            return source / Path(container_path).relative_to(target)
    raise AssertionError(f"{container_path} is not bind-mounted into {service}")


def _tollgate_config() -> Config:
    env = SERVICES["tollgate"]["environment"]
    return load_config(_host_path("tollgate", env["TOLLGATE_CONFIG"]), environ={})


def test_compose_file_follows_the_compose_spec() -> None:
    jsonschema.validate(COMPOSE, _compose_schema())


def test_compose_schema_rejects_a_misspelt_service_key() -> None:
    broken = json.loads(json.dumps(COMPOSE))
    broken["services"]["tollgate"]["depends"] = ["redis"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, _compose_schema())


def test_the_stack_has_its_five_services() -> None:
    assert set(SERVICES) == {"tollgate", "upstream", "redis", "prometheus", "grafana"}


@pytest.mark.parametrize("service", ["tollgate", "prometheus", "grafana"])
def test_every_bind_mount_exists(service: str) -> None:
    binds = _binds(service)
    assert binds
    for target, source in binds.items():
        assert source.exists(), f"{service}: {source} (for {target}) is missing"


def test_build_uses_the_repo_root_and_the_dockerfile() -> None:
    build = SERVICES["tollgate"]["build"]
    context = (COMPOSE_FILE.parent / build["context"]).resolve()
    assert context == REPO and (context / build["dockerfile"]).is_file()
    assert (REPO / ".dockerignore").is_file()


def test_commands_are_real_tollgate_commands() -> None:
    parser = build_parser()
    assert parser.parse_args(SERVICES["tollgate"]["command"]).command == "serve"
    assert parser.parse_args(SERVICES["upstream"]["command"]).command == "demo-upstream"


def test_tollgate_reaches_the_upstream_and_redis_services() -> None:
    config = _tollgate_config()
    upstream = urlsplit(config.upstream.url)
    command = SERVICES["upstream"]["command"]
    assert upstream.hostname == "upstream"
    assert upstream.port == int(command[command.index("--port") + 1])
    redis = urlsplit(config.throttle["redis"]["url"])
    assert config.throttle["backend"] == "redis" and redis.hostname == "redis"
    assert set(SERVICES["tollgate"]["depends_on"]) == {"upstream", "redis"}


def test_published_ports_are_the_configured_ports_admin_on_loopback() -> None:
    config = _tollgate_config()
    ports = SERVICES["tollgate"]["ports"]
    assert f"{config.server.port}:{config.server.port}" in ports
    assert f"127.0.0.1:{config.server.admin_port}:{config.server.admin_port}" in ports


def test_tollgate_runs_read_only_with_its_writable_paths() -> None:
    service = SERVICES["tollgate"]
    config = _tollgate_config()
    assert service["read_only"] is True and "/tmp" in service["tmpfs"]
    named = {v.split(":")[1] for v in service["volumes"] if not v.startswith(".")}
    audit_dirs = {str(Path(s["path"]).parent) for s in config.audit["sinks"] if "path" in s}
    assert audit_dirs and audit_dirs <= named


def test_policies_are_mounted_at_the_policy_dir() -> None:
    config = _tollgate_config()
    assert _host_path("tollgate", config.policy["dir"]) == (REPO / "policies").resolve()


def _prometheus_config() -> dict[str, Any]:
    command = SERVICES["prometheus"]["command"]
    flag = next(c for c in command if c.startswith("--config.file="))
    config: dict[str, Any] = load_yaml(_host_path("prometheus", flag.split("=", 1)[1]))
    return config


def test_prometheus_scrapes_the_real_metrics_route_on_the_admin_port() -> None:
    config = _tollgate_config()
    job = next(j for j in _prometheus_config()["scrape_configs"] if j["job_name"] == "tollgate")
    assert job["metrics_path"] in admin_get_routes(config)
    targets = job["static_configs"][0]["targets"]
    assert targets == [f"tollgate:{config.server.admin_port}"]


def test_prometheus_loads_the_alert_rules_of_deploy_prometheus() -> None:
    loaded = [_host_path("prometheus", p) for p in _prometheus_config()["rule_files"]]
    expected = rule_files()
    assert expected and loaded == [p.resolve() for p in expected]


def test_prometheus_config_and_rules_pass_promtool(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool (Debian package prometheus, installed by .ci/run) is needed"
    config = _prometheus_config()
    config["rule_files"] = [str(_host_path("prometheus", p)) for p in config["rule_files"]]
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config), "utf-8")
    out = subprocess.run(
        [promtool, "check", "config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS" in out.stdout + out.stderr
