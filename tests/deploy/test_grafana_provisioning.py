"""Grafana provisioning of the local stack: the Prometheus datasource and the dashboards.

No Grafana here: the provisioning files are checked against a schema of Grafana's
provisioning format (apiVersion 1; the fields this stack uses, unknown ones rejected),
the datasource must point at the compose Prometheus, and the dashboard provider's path
must be a mount of deploy/grafana/dashboards/ whose dashboards only reference that datasource.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest

from tests.deploy._loaders import DEPLOY, load_yaml

PROVISIONING = DEPLOY / "compose" / "grafana" / "provisioning"
COMPOSE: dict[str, Any] = load_yaml(DEPLOY / "compose.yaml")

_DATASOURCES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "datasources"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": 1},
        "datasources": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", "type", "access", "url", "uid"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "uid": {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,40}$"},
                    "type": {"enum": ["prometheus"]},
                    "access": {"enum": ["proxy", "direct"]},
                    "url": {"type": "string", "pattern": "^https?://"},
                    "isDefault": {"type": "boolean"},
                    "editable": {"type": "boolean"},
                    "jsonData": {"type": "object"},
                },
            },
        },
    },
}

_DASHBOARDS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "providers"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": 1},
        "providers": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", "type", "options"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "orgId": {"type": "integer"},
                    "folder": {"type": "string"},
                    "folderUid": {"type": "string"},
                    "type": {"const": "file"},
                    "disableDeletion": {"type": "boolean"},
                    "allowUiUpdates": {"type": "boolean"},
                    "updateIntervalSeconds": {"type": "integer", "minimum": 10},
                    "options": {
                        "type": "object",
                        "required": ["path"],
                        "additionalProperties": False,
                        "properties": {
                            "path": {"type": "string", "pattern": "^/"},
                            "foldersFromFilesStructure": {"type": "boolean"},
                        },
                    },
                },
            },
        },
    },
}


def _grafana_mounts() -> dict[str, Path]:
    out = {}
    for volume in COMPOSE["services"]["grafana"]["volumes"]:
        source, target = volume.split(":")[:2]
        out[target] = (DEPLOY / source).resolve()
    return out


def _provisioning_files(kind: str) -> list[Path]:
    """The host files Grafana reads as ``/etc/grafana/provisioning/<kind>/*.yaml``."""
    prefix = f"/etc/grafana/provisioning/{kind}"
    files: list[Path] = []
    for target, source in _grafana_mounts().items():
        if target == prefix:
            files.extend(source.glob("*.yaml"))
        elif target.startswith(prefix + "/") and target.endswith(".yaml"):
            files.append(source)
    return sorted(files)


def _datasource() -> dict[str, Any]:
    (path,) = _provisioning_files("datasources")
    (source,) = load_yaml(path)["datasources"]
    found: dict[str, Any] = source
    return found


def _dashboard_files() -> list[Path]:
    (path,) = _provisioning_files("dashboards")
    (provider,) = load_yaml(path)["providers"]
    host_dir = _grafana_mounts()[provider["options"]["path"]]
    return sorted(host_dir.glob("*.json"))


@pytest.mark.parametrize(
    ("kind", "schema"), [("datasources", _DATASOURCES_SCHEMA), ("dashboards", _DASHBOARDS_SCHEMA)]
)
def test_provisioning_files_follow_the_format(kind: str, schema: dict[str, Any]) -> None:
    files = _provisioning_files(kind)
    assert files
    for path in files:
        jsonschema.validate(load_yaml(path), schema)


def test_datasource_is_the_compose_prometheus() -> None:
    url = urlsplit(_datasource()["url"])
    prometheus = COMPOSE["services"]["prometheus"]
    assert url.hostname == "prometheus" and "prometheus" in COMPOSE["services"]
    assert any(p.endswith(f":{url.port}") for p in prometheus["ports"])


def test_provisioning_mounts_are_the_repo_files() -> None:
    assert _provisioning_files("datasources") == [
        (PROVISIONING / "datasources" / "prometheus.yaml").resolve()
    ]
    assert _provisioning_files("dashboards") == [
        (DEPLOY / "grafana" / "provisioning" / "dashboards.yaml").resolve()
    ]


def test_dashboard_provider_path_is_a_mount_of_the_dashboards() -> None:
    files = _dashboard_files()
    committed = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
    assert files and files == [f.resolve() for f in committed]


def _datasource_refs(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        if "datasource" in node:
            yield node["datasource"]
        for value in node.values():
            yield from _datasource_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _datasource_refs(item)


def _allowed(ref: Any, uid: str, variables: set[str]) -> bool:
    if ref is None:
        return True  # the default datasource: the provisioned one (isDefault)
    value = ref.get("uid") if isinstance(ref, dict) else ref
    if isinstance(ref, dict) and ref.get("type") not in (None, "prometheus", "datasource"):
        return ref.get("type") == "grafana"  # built-in annotations
    if isinstance(value, str) and value.startswith("$"):
        return value.strip("${}") in variables
    return value in (uid, "-- Grafana --", "grafana")


def test_dashboards_parse_and_use_the_provisioned_datasource() -> None:
    uid = _datasource()["uid"]
    assert _datasource()["isDefault"] is True
    files = _dashboard_files()
    assert files
    for path in files:
        dashboard = json.loads(path.read_text("utf-8"))
        assert dashboard.get("title") and isinstance(dashboard.get("panels"), list), path.name
        variables = {
            v["name"]
            for v in dashboard.get("templating", {}).get("list", [])
            if v.get("type") == "datasource" and v.get("query") == "prometheus"
        }
        bad = [r for r in _datasource_refs(dashboard) if not _allowed(r, uid, variables)]
        assert bad == [], f"{path.name} references other datasources: {bad[:3]}"
