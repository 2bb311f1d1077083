"""Loading policy files: validation with file:line, composition, revisions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from middleware.policy import PolicyLoadError, load_policy_dir, load_policy_set

RULE = """
- id: {id}
  title: A rule
  categories: [pii]
  when: {{regex: {{patterns: "x"}}}}
  action: flag
"""


def test_files_compose_into_one_ruleset(write_policy: Callable[..., Path]) -> None:
    write_policy(RULE.format(id="a.one"), name="a")
    root = write_policy(RULE.format(id="b.one"), name="b")
    policy_set = load_policy_set(root)
    assert [r.id for r, _, _ in policy_set.rules()] == ["a.one", "b.one"]
    assert dict(policy_set.revision.versions) == {"a": "1", "b": "1"}


def test_duplicate_ids_across_files_are_errors_naming_both_places(
    write_policy: Callable[..., Path],
) -> None:
    write_policy(RULE.format(id="same"), name="a")
    root = write_policy(RULE.format(id="same"), name="b")
    policy_set, issues = load_policy_dir(root)
    assert policy_set is None
    [issue] = issues
    assert issue.code == "duplicate-id"
    assert issue.file.endswith("b.yaml") and issue.line == 5
    assert "a.yaml:5" in issue.message


def test_schema_errors_point_at_the_offending_line(write_policy: Callable[..., Path]) -> None:
    root = write_policy(
        """
        - id: r1
          title: A rule
          categories: [pii]
          when: {finding: {kind: pii.EMAIL_ADDRESS, min_score: 1.5}}
          action: flag
        """
    )
    _, issues = load_policy_dir(root)
    [issue] = issues
    assert issue.severity == "error"
    assert issue.line == 8
    assert "min_score" in issue.message
    assert str(issue).startswith(f"{root / 'test.yaml'}:8: error[schema]")


def test_unknown_taxonomy_tag_is_reported_as_such(write_policy: Callable[..., Path]) -> None:
    root = write_policy(RULE.format(id="r").replace("[pii]", "[pii, crimes_of_fashion]"))
    _, issues = load_policy_dir(root)
    assert [i.code for i in issues] == ["unknown-tag"]
    assert "crimes_of_fashion" in issues[0].message


def test_invalid_yaml_reports_its_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("kind: Policy\nrules: [\n  - x: {\n", encoding="utf-8")
    _, issues = load_policy_dir(tmp_path)
    assert issues[0].code == "yaml" and issues[0].line >= 3


def test_content_change_changes_revision(write_policy: Callable[..., Path]) -> None:
    root = write_policy(RULE.format(id="a"))
    first = load_policy_set(root).revision
    write_policy(RULE.format(id="b"))
    assert load_policy_set(root).revision.hash != first.hash


def test_hidden_entries_and_configmap_data_dirs_are_skipped(
    write_policy: Callable[..., Path],
) -> None:
    root = write_policy(RULE.format(id="a"))
    hidden = root / "..2026_01_01"
    hidden.mkdir()
    (hidden / "dupe.yaml").write_text("not: [valid", encoding="utf-8")
    assert [r.id for r, _, _ in load_policy_set(root).rules()] == ["a"]


def test_load_policy_set_raises_with_every_error(write_policy: Callable[..., Path]) -> None:
    write_policy(RULE.format(id="x"), name="a")
    root = write_policy(RULE.format(id="x") + RULE.format(id="x"), name="b")
    with pytest.raises(PolicyLoadError) as info:
        load_policy_set(root)
    assert len(info.value.issues) == 2


def test_condition_needs_a_key_and_actions_are_consistent(
    write_policy: Callable[..., Path],
) -> None:
    root = write_policy(
        """
        - id: r1
          title: t
          categories: [budget]
          when: {}
          action: {type: cap_reasoning}
        """
    )
    _, issues = load_policy_dir(root)
    messages = " ".join(i.message for i in issues)
    assert "at least one key" in messages and "needs a level" in messages
