"""The baseline pack in policies/: lints clean, its tests pass, its schema is current."""

from __future__ import annotations

import json
from pathlib import Path

from middleware.policy import NoDetectors, build_source, load_policy_set
from middleware.policy._jsonschema import SCHEMA_FILE, render_schema
from middleware.policy._lint import lint_policy_dir
from middleware.policy._testing import run_policy_tests

PACK = Path(__file__).resolve().parents[3] / "policies"


def test_pack_lints_without_errors_or_warnings() -> None:
    assert [str(i) for i in lint_policy_dir(PACK)] == []


def test_pack_kinds_exist_in_the_installed_detectors() -> None:
    installed = build_source().kinds()
    issues = lint_policy_dir(PACK, installed)
    assert [str(i) for i in issues if i.code != "detector-unavailable"] == []
    # Warned only about detectors that are not installed (yet): never a typo.
    for issue in issues:
        assert not any(name in issue.message.split("needs detector ")[1] for name in installed)


def test_committed_json_schema_is_current() -> None:
    committed = (PACK / SCHEMA_FILE).read_text(encoding="utf-8")
    assert committed == render_schema(), (
        "run: tollgate policy schema --write policies/" + SCHEMA_FILE
    )


def test_pack_covers_the_issue_areas() -> None:
    categories = {c for r, _, _ in load_policy_set(PACK).rules() for c in r.categories}
    wanted = {"pii", "secrets", "prompt_injection", "jailbreak", "obfuscation", "budget",
              "indiscriminate_weapons", "child_exploitation", "cyber_crime"}  # fmt: skip
    assert wanted <= categories


def test_detector_free_cases_pass_without_detectors() -> None:
    report = run_policy_tests(PACK, NoDetectors(), select=lambda name: True)
    budget = [r for r in report.results if r.file.endswith("budget.tests.yaml")]
    assert budget and all(r.outcome == "passed" for r in budget)


def test_every_case_passes_or_names_its_missing_detector() -> None:
    report = run_policy_tests(PACK, build_source())
    assert not report.load_issues
    failures = [(r.name, r.messages) for r in report.results if r.outcome == "failed"]
    assert failures == []
    for r in report.results:
        if r.outcome == "error":
            assert r.messages[0].startswith("detector unavailable:"), r.messages
    if not report.missing_detectors:  # with every detector installed, everything passes
        assert report.ok


def test_editors_schema_accepts_every_pack_file_and_rejects_a_bad_one() -> None:
    import jsonschema
    import yaml

    schema = json.loads((PACK / SCHEMA_FILE).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    files = sorted(PACK.glob("*.yaml")) + sorted((PACK / "tests").glob("*.yaml"))
    assert len(files) >= 10
    for path in files:
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
        assert errors == [], path
    bad = yaml.safe_load((PACK / "budget.yaml").read_text())
    bad["rules"][0]["action"] = "obliterate"
    assert list(validator.iter_errors(bad))
