"""promtool: the scrape config and rules are valid, and the rule unit tests pass."""

from __future__ import annotations

import shutil
import subprocess

from tests.e2e._deploy import PROMETHEUS, as_bool


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not installed (Debian package prometheus; .ci/run installs it)"
    return subprocess.run(
        [promtool, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60
    )


def test_promtool_check_rules() -> None:
    result = _promtool("check", "rules", "tollgate.rules.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_check_config() -> None:
    result = _promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rule_unit_tests() -> None:
    result = _promtool("test", "rules", "tollgate.rules.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def test_as_bool_rewrites_only_the_top_level_comparison() -> None:
    expr = 'sum(rate(x{a=~"b>c"}[5m])) / clamp_min(y > 0, 1) > 0.05'
    assert as_bool(expr) == 'sum(rate(x{a=~"b>c"}[5m])) / clamp_min(y > 0, 1) > bool 0.05'
    assert as_bool("a >= 2") == "a >= bool 2"
