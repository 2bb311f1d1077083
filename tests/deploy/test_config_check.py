"""``tollgate config check`` on every shipped configuration, with the policies it serves.

This is the command users put in CI: it must accept the deployment configurations with
their policy directories and reject a broken policy or a missing secret by name.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from middleware.cli import main
from tests.deploy._loaders import DEPLOY, REPO

K8S_POLICIES = DEPLOY / "kubernetes" / "base" / "policies"

#: (configuration, the policy directory it serves in its deployment, env it needs)
SHIPPED: list[tuple[Path, Path, dict[str, str]]] = [
    (DEPLOY / "tollgate-container.yaml", REPO / "policies", {}),
    (DEPLOY / "compose" / "tollgate.yaml", REPO / "policies", {}),
    (DEPLOY / "kubernetes" / "base" / "tollgate.yaml", K8S_POLICIES, {}),
    (
        DEPLOY / "kubernetes" / "overlays" / "gateway" / "tollgate.yaml",
        K8S_POLICIES,
        {"TOLLGATE_UPSTREAM_KEY": "sk-ci-placeholder"},
    ),
]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TOLLGATE_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize(
    ("config", "policies", "env"), SHIPPED, ids=[str(c.relative_to(DEPLOY)) for c, _, _ in SHIPPED]
)
def test_shipped_configuration_and_its_policies_pass(
    config: Path,
    policies: Path,
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = main(["config", "check", str(config), "--policy-dir", str(policies)])
    out = capsys.readouterr()
    assert code == 0, out.err
    names = ", ".join(sorted(p.name for p in policies.glob("*.yaml")))
    assert f"ok: policies {names}:" in out.out
    assert f"ok: {config}" in out.out


def test_a_broken_policy_fails_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (K8S_POLICIES / "example.yaml").read_text("utf-8")
    (tmp_path / "example.yaml").write_text(text.replace("action: redact", "action: redcat"))
    config = DEPLOY / "kubernetes" / "base" / "tollgate.yaml"
    assert main(["config", "check", str(config), "--policy-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "invalid policies" in err and "example.yaml:" in err and "action" in err


def test_a_missing_policy_dir_fails(capsys: pytest.CaptureFixture[str]) -> None:
    config = DEPLOY / "tollgate-container.yaml"
    assert main(["config", "check", str(config)]) == 1  # /etc/tollgate/policies: not here
    assert "/etc/tollgate/policies" in capsys.readouterr().err


def test_gateway_mode_without_the_upstream_key_fails_naming_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = DEPLOY / "kubernetes" / "overlays" / "gateway" / "tollgate.yaml"
    assert main(["config", "check", str(config), "--policy-dir", str(K8S_POLICIES)]) == 1
    assert "TOLLGATE_UPSTREAM_KEY" in capsys.readouterr().err
