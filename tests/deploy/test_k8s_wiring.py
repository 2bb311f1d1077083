"""The manifests agree with the real code: config schema, admin routes, CLI, env names.

Each kustomization is built, its Tollgate configuration (ConfigMap tollgate-config) is
loaded by ``middleware.config``, and every port, path, probe, env name and mount in the
manifests is checked against that configuration and the real admin app.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from middleware.cli import build_parser
from middleware.config import ENV_OVERRIDES, Config
from tests.deploy._loaders import (
    KUSTOMIZATIONS,
    REPO,
    WITH_REDIS,
    Manifest,
    admin_get_routes,
    configmap_file,
    container,
    deploy_config,
    env_names,
    find,
    kustomize_build,
    load_yaml,
    named_port,
    one,
)

_SOURCE_ENV = re.compile(r"[\"'](TOLLGATE_[A-Z0-9_]+)[\"']")


@dataclass(frozen=True)
class Built:
    """A kustomize build, its Deployment, Tollgate container and configuration."""

    name: str
    objects: list[Manifest]
    deployment: Manifest
    tollgate: Manifest
    config: Config


def _build(name: str, tmp: pytest.TempPathFactory) -> Built:
    objects = kustomize_build(name)
    deployment = one(objects, "Deployment", "tollgate")
    text = configmap_file(objects, "tollgate-config", "tollgate.yaml")
    config = deploy_config(text, tmp.mktemp("config"))
    return Built(name, objects, deployment, container(deployment, "tollgate"), config)


@pytest.fixture(params=KUSTOMIZATIONS, scope="module")
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Each kustomization in turn."""
    return _build(request.param, tmp_path_factory)


@pytest.fixture(params=WITH_REDIS, scope="module")
def with_redis(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The kustomizations that run their own Redis."""
    return _build(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def external_redis(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The sidecar pointed at an existing Redis."""
    return _build("overlays/external-redis", tmp_path_factory)


@pytest.fixture(scope="module")
def sidecar(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The base: Tollgate next to the example API."""
    return _build("base", tmp_path_factory)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The gateway overlay: Tollgate alone in front of a vendor API."""
    return _build("overlays/gateway", tmp_path_factory)


def _cli_command(args: list[str]) -> str:
    """The subcommand the real ``tollgate`` parser makes of ``args`` (exits if invalid)."""
    command: str = build_parser().parse_args(args).command
    return command


def _pod_spec(built: Built) -> Manifest:
    spec: Manifest = built.deployment["spec"]["template"]["spec"]
    return spec


def _pod_labels(deployment: Manifest) -> dict[str, str]:
    labels: dict[str, str] = deployment["spec"]["template"]["metadata"]["labels"]
    return labels


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _mount(c: Manifest, volume: str) -> Manifest:
    mounts: list[Manifest] = [m for m in c.get("volumeMounts", []) if m["name"] == volume]
    assert len(mounts) == 1, f"container {c['name']} mounts volume {volume!r} once"
    return mounts[0]


def _volume(built: Built, name: str) -> Manifest:
    vols: list[Manifest] = [v for v in _pod_spec(built)["volumes"] if v["name"] == name]
    assert len(vols) == 1
    return vols[0]


def test_tollgate_runs_the_real_serve_command(built: Built) -> None:
    assert built.tollgate["args"] == ["serve"]
    assert _cli_command(built.tollgate["args"]) == "serve"


def test_container_ports_are_the_configured_ports_on_all_interfaces(built: Built) -> None:
    server = built.config.server
    assert named_port(built.tollgate, "http") == server.port
    assert named_port(built.tollgate, "admin") == server.admin_port
    assert server.host == "0.0.0.0" and server.admin_host == "0.0.0.0"


@pytest.mark.parametrize(
    ("probe", "path"),
    [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"), ("startupProbe", "/healthz")],
)
def test_probes_hit_real_admin_routes_on_the_admin_port(
    built: Built, probe: str, path: str
) -> None:
    get = built.tollgate[probe]["httpGet"]
    assert get["path"] == path
    assert get["path"] in admin_get_routes(built.config)
    assert named_port(built.tollgate, get["port"]) == built.config.server.admin_port


def test_the_service_exposes_only_the_tollgate_proxy_port(built: Built) -> None:
    service = one(built.objects, "Service", "tollgate")
    assert _selects(service["spec"]["selector"], _pod_labels(built.deployment))
    ports = service["spec"]["ports"]
    assert len(ports) == 1
    assert named_port(built.tollgate, ports[0]["targetPort"]) == built.config.server.port


def test_no_service_reaches_another_container_of_the_pod(built: Built) -> None:
    others = [c for c in _pod_spec(built)["containers"] if c["name"] != "tollgate"]
    for service in find(built.objects, "Service"):
        if not _selects(service["spec"]["selector"], _pod_labels(built.deployment)):
            continue
        for port in service["spec"]["ports"]:
            assert isinstance(named_port(built.tollgate, port["targetPort"]), int)
            assert all(port["targetPort"] not in {p.get("name") for p in c.get("ports", [])}
                       for c in others)  # fmt: skip


def test_sidecar_upstream_is_the_api_container_on_loopback(sidecar: Built) -> None:
    api = container(sidecar.deployment, "api")
    args = api["args"]
    assert _cli_command(args) == "demo-upstream"
    host, port = args[args.index("--host") + 1], int(args[args.index("--port") + 1])
    assert host == "127.0.0.1" and "ports" not in api
    assert sidecar.config.upstream.url == f"http://127.0.0.1:{port}"


def test_gateway_pod_has_only_tollgate_and_a_fixed_upstream(gateway: Built) -> None:
    assert [c["name"] for c in _pod_spec(gateway)["containers"]] == ["tollgate"]
    assert gateway.config.upstream.url.startswith("https://")
    assert gateway.config.identity["mode"] == "gateway"
    assert "api-tmp" not in {v["name"] for v in _pod_spec(gateway)["volumes"]}


def _known_env_names(config: Config) -> set[str]:
    names = set(ENV_OVERRIDES)
    for path in (REPO / "middleware").rglob("*.py"):
        names.update(_SOURCE_ENV.findall(path.read_text(encoding="utf-8")))
    for section in (config.identity, config.audit, config.throttle.get("redis", {})):
        names.update(v for k, v in section.items() if k.endswith("_env") and isinstance(v, str))
    return names


def test_every_env_name_is_one_tollgate_reads(built: Built) -> None:
    unknown = env_names(built.tollgate) - _known_env_names(built.config)
    assert unknown == set()


def test_the_secrets_the_config_names_are_provided(built: Built) -> None:
    env = {e["name"]: e for e in built.tollgate["env"]}
    needed = {built.config.identity["secret_env"], built.config.audit["key_env"]}
    if built.config.identity.get("mode") == "gateway":
        needed.add(built.config.identity["upstream_key_env"])
    for name in needed:
        assert "secretKeyRef" in env[name]["valueFrom"], name
    assert env["TOLLGATE_ENV"]["value"] == "production"


def test_secret_refs_point_at_keys_of_the_secret(built: Built) -> None:
    for e in built.tollgate["env"]:
        ref = e.get("valueFrom", {}).get("secretKeyRef")
        if ref is None or ref.get("optional"):
            continue
        secret = one(built.objects, "Secret", ref["name"])
        assert ref["key"] in {**secret.get("data", {}), **secret.get("stringData", {})}


def test_config_file_is_mounted_where_tollgate_config_points(built: Built) -> None:
    env = {e["name"]: e.get("value") for e in built.tollgate["env"]}
    path = Path(env["TOLLGATE_CONFIG"])
    mount = _mount(built.tollgate, "config")
    assert str(path.parent) == mount["mountPath"] and path.name == "tollgate.yaml"
    assert _volume(built, "config")["configMap"]["name"].startswith("tollgate-config")


def test_policies_configmap_is_mounted_at_the_policy_dir_without_subpath(built: Built) -> None:
    mount = _mount(built.tollgate, "policies")
    assert mount["mountPath"] == built.config.policy["dir"]
    assert "subPath" not in mount  # a subPath mount never sees ConfigMap updates
    assert built.config.policy.get("reload_interval_s", 5) > 0
    name = _volume(built, "policies")["configMap"]["name"]
    assert name == "tollgate-policies"  # no hash suffix: updated in place, reloaded live
    one(built.objects, "ConfigMap", name)


def test_root_filesystem_is_read_only_and_writable_paths_are_volumes(built: Built) -> None:
    pod = _pod_spec(built)
    assert pod["securityContext"]["runAsNonRoot"] is True
    writable = {
        m["mountPath"]
        for m in built.tollgate["volumeMounts"]
        if "emptyDir" in _volume(built, m["name"])
    }
    audit_dirs = {
        str(Path(s["path"]).parent) for s in built.config.audit.get("sinks", []) if "path" in s
    }
    assert writable >= {"/tmp", "/var/log/tollgate", *audit_dirs}
    for c in pod["containers"]:
        ctx = c["securityContext"]
        assert ctx["readOnlyRootFilesystem"] is True
        assert ctx["allowPrivilegeEscalation"] is False
        assert ctx["capabilities"]["drop"] == ["ALL"]


def test_termination_grace_covers_prestop_and_shutdown_grace(built: Built) -> None:
    command = built.tollgate["lifecycle"]["preStop"]["exec"]["command"]
    pause = float(re.findall(r"sleep\((\d+(?:\.\d+)?)\)", command[-1])[0])
    grace = _pod_spec(built)["terminationGracePeriodSeconds"]
    assert grace >= pause + built.config.server.shutdown_grace_s + 5


def test_every_container_has_requests_and_a_memory_limit(built: Built) -> None:
    for deployment in find(built.objects, "Deployment"):
        for c in deployment["spec"]["template"]["spec"]["containers"]:
            assert {"cpu", "memory"} <= set(c["resources"]["requests"]), c["name"]
            assert "memory" in c["resources"]["limits"], c["name"]


def test_redis_url_resolves_to_the_redis_service_and_container(with_redis: Built) -> None:
    built = with_redis
    throttle = built.config.throttle
    assert throttle["backend"] == "redis"
    url = urlsplit(throttle["redis"]["url"])
    service = one(built.objects, "Service", str(url.hostname))
    port = next(p for p in service["spec"]["ports"] if p["port"] == (url.port or 6379))
    redis = [
        d
        for d in find(built.objects, "Deployment")
        if _selects(service["spec"]["selector"], _pod_labels(d))
    ]
    assert len(redis) == 1
    assert named_port(redis[0]["spec"]["template"]["spec"]["containers"][0], port["targetPort"])


def test_local_fallback_shares_add_up_to_one_limit(built: Built) -> None:
    fraction = built.config.throttle["redis"]["fallback_fraction"]
    replicas = built.deployment["spec"]["replicas"]
    assert fraction * replicas <= 1.05  # while Redis is down, replicas together ~ one limit


def test_external_redis_comes_from_the_secret_and_nothing_else_remains(
    external_redis: Built,
) -> None:
    objects = external_redis.objects
    assert not [o for o in objects if o["metadata"]["name"] == "tollgate-redis"]
    url_env = external_redis.config.throttle["redis"]["url_env"]
    env = {e["name"]: e for e in external_redis.tollgate["env"]}
    ref = env[url_env]["valueFrom"]["secretKeyRef"]
    assert ref["optional"] is False
    secret = one(objects, "Secret", ref["name"])
    assert urlsplit(secret["stringData"][ref["key"]]).scheme in ("redis", "rediss")


def test_pdb_selects_the_pods_and_leaves_one_replica_to_drain(built: Built) -> None:
    pdb = one(built.objects, "PodDisruptionBudget", "tollgate")
    assert _selects(pdb["spec"]["selector"]["matchLabels"], _pod_labels(built.deployment))
    assert pdb["spec"]["minAvailable"] < built.deployment["spec"]["replicas"]


def test_service_monitor_scrapes_the_real_metrics_route(built: Built) -> None:
    monitor = one(built.objects, "ServiceMonitor", "tollgate")
    selected = [
        s
        for s in find(built.objects, "Service")
        if _selects(monitor["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])
    ]
    assert len(selected) == 1
    service = selected[0]
    assert _selects(service["spec"]["selector"], _pod_labels(built.deployment))
    # The operator names the job after this Service label: same job as the local stack's.
    compose_prometheus = load_yaml(REPO / "deploy" / "compose" / "prometheus.yml")
    jobs = {j["job_name"] for j in compose_prometheus["scrape_configs"]}
    assert service["metadata"]["labels"][monitor["spec"]["jobLabel"]] in jobs
    for endpoint in monitor["spec"]["endpoints"]:
        port = next(p for p in service["spec"]["ports"] if p["name"] == endpoint["port"])
        assert named_port(built.tollgate, port["targetPort"]) == built.config.server.admin_port
        assert endpoint["path"] in admin_get_routes(built.config)


def test_scrape_annotations_name_the_admin_port_and_metrics_route(built: Built) -> None:
    notes = built.deployment["spec"]["template"]["metadata"]["annotations"]
    assert int(notes["prometheus.io/port"]) == built.config.server.admin_port
    assert notes["prometheus.io/path"] in admin_get_routes(built.config)


def test_network_policy_ports_are_tollgate_ports(built: Built) -> None:
    policy = one(built.objects, "NetworkPolicy", "tollgate")
    assert _selects(policy["spec"]["podSelector"]["matchLabels"], _pod_labels(built.deployment))
    ports = {named_port(built.tollgate, p["port"]) for r in policy["spec"]["ingress"]
             for p in r["ports"]}  # fmt: skip
    assert ports == {built.config.server.port, built.config.server.admin_port}


def test_images_are_the_project_version(built: Built) -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    for c in _pod_spec(built)["containers"]:
        assert c["image"] == f"tollgate:{project['version']}"
