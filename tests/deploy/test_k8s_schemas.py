"""The Kubernetes manifests build with kustomize and validate against the API schemas.

Built-in kinds: ``kubernetes-validate`` (the API's JSON schemas, bundled, offline) in
strict mode, so an unknown or misspelt field fails. Prometheus Operator kinds: a
vendored schema subset (``schemas/``), and promtool for the rule expressions.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from tests.deploy._loaders import KUSTOMIZATIONS, Manifest, find, kustomize_build
from tests.deploy.prometheus_rule import OUTPUT, render_prometheus_rule

#: The oldest Kubernetes minor the manifests are written for (policy/v1 PDB, seccomp field).
K8S_VERSION = "1.29"
CRD_SCHEMAS = json.loads(
    (Path(__file__).parent / "schemas" / "monitoring.coreos.com_v1.json").read_text("utf-8")
)


def _crd_validator(kind: str) -> jsonschema.Draft202012Validator:
    schema = {"$defs": CRD_SCHEMAS["$defs"], **CRD_SCHEMAS[kind]}
    return jsonschema.Draft202012Validator(schema)


def _validate(obj: Manifest) -> None:
    if obj["apiVersion"].startswith("monitoring.coreos.com/"):
        _crd_validator(obj["kind"]).validate(obj)
    else:
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_every_object_validates_against_its_schema(name: str) -> None:
    objects = kustomize_build(name)
    errors: list[str] = []
    for obj in objects:
        try:
            _validate(obj)
        except (jsonschema.ValidationError, kubernetes_validate.ValidationError) as exc:
            errors.append(f"{obj['kind']}/{obj['metadata']['name']}: {exc.message}")
    assert errors == []


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_build_has_every_kind_the_sidecar_needs(name: str) -> None:
    kinds = {o["kind"] for o in kustomize_build(name)}
    assert kinds >= {
        "Deployment",
        "Service",
        "ConfigMap",
        "Secret",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ServiceMonitor",
        "PrometheusRule",
    }


def test_strict_validation_catches_a_misspelt_field() -> None:
    deployment = find(kustomize_build("base"), "Deployment", "tollgate")[0]
    broken: dict[str, Any] = json.loads(json.dumps(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbe"] = {"httpGett": {}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_crd_schema_catches_a_misspelt_field() -> None:
    monitor = find(kustomize_build("base"), "ServiceMonitor")[0]
    broken = json.loads(json.dumps(monitor))
    broken["spec"]["endpoints"][0]["scrape_interval"] = "15s"
    with pytest.raises(jsonschema.ValidationError):
        _crd_validator("ServiceMonitor").validate(broken)


def test_prometheus_rule_expressions_pass_promtool(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool (Debian package prometheus, installed by .ci/run) is needed"
    rule = find(kustomize_build("base"), "PrometheusRule")[0]
    rules_file = tmp_path / "rules.yml"
    rules_file.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}), "utf-8")
    out = subprocess.run(
        [promtool, "check", "rules", str(rules_file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_prometheus_rule_is_generated_from_deploy_prometheus() -> None:
    committed = OUTPUT.read_text(encoding="utf-8")
    assert committed == render_prometheus_rule(), (
        "regenerate: python -m tests.deploy.prometheus_rule"
    )
