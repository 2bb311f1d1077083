"""Find, parse and validate policy files and test files into a :class:`PolicySet`.

A policy directory holds policy files (``*.yaml``/``*.yml``, ``kind:
Policy``) at its top level and test files (``kind: PolicyTests``) at the top
level or anywhere under ``tests/``. Hidden entries are skipped: a Kubernetes
ConfigMap mount shows its files as symlinks into a ``..data`` directory that
is swapped atomically, and only the top-level names count. Problems are
collected as :class:`PolicyIssue` values (``file:line``), never raised
one at a time, so a single pass reports everything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from middleware.policy._cases import PolicyTestsFile
from middleware.policy._schema import PolicyFile, Rule
from middleware.policy._yamlfile import YamlDocument, YamlError, parse_yaml

__all__ = [
    "LoadedPolicy",
    "LoadedTests",
    "PolicyIssue",
    "PolicyLoadError",
    "PolicyRevision",
    "PolicySet",
    "load_policy_dir",
    "load_policy_set",
    "policy_paths",
]

_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class PolicyIssue:
    """One problem found while loading or linting, located as ``file:line``."""

    severity: Literal["error", "warning"]
    code: str
    message: str
    file: str
    line: int = 0
    rule_id: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity}[{self.code}]: {self.message}"


class PolicyLoadError(ValueError):
    """The policy set is invalid; ``issues`` lists every error found."""

    def __init__(self, issues: Sequence[PolicyIssue]) -> None:
        self.issues = tuple(issues)
        first = "; ".join(str(i) for i in self.issues[:3])
        more = f" (+{len(self.issues) - 3} more)" if len(self.issues) > 3 else ""
        super().__init__(f"invalid policy set: {first}{more}")


@dataclass(frozen=True, slots=True)
class PolicyRevision:
    """Which policy set decided: a content hash and each file's metadata version."""

    hash: str
    versions: tuple[tuple[str, str], ...]

    @property
    def short(self) -> str:
        """The first 12 hex digits (metric label, log field)."""
        return self.hash[:12]

    def to_dict(self) -> dict[str, object]:
        """JSON-able form for records and the admin endpoint."""
        return {"hash": self.hash, "versions": dict(self.versions)}


@dataclass(frozen=True, slots=True)
class LoadedPolicy:
    """One validated policy file."""

    path: str
    sha256: str
    document: PolicyFile
    yaml: YamlDocument

    def rule_line(self, index: int, *field: str | int) -> int:
        """Line of ``rules[index]`` (or of a field inside it)."""
        return self.yaml.line_of(("rules", index, *field))


@dataclass(frozen=True, slots=True)
class LoadedTests:
    """One validated test file."""

    path: str
    document: PolicyTestsFile
    yaml: YamlDocument


@dataclass(frozen=True, slots=True)
class PolicySet:
    """Every policy file of a directory, validated, with unique rule ids."""

    root: str
    policies: tuple[LoadedPolicy, ...]
    tests: tuple[LoadedTests, ...]
    revision: PolicyRevision

    def rules(self) -> list[tuple[Rule, LoadedPolicy, int]]:
        """``(rule, its file, its index in the file)`` in file then rule order."""
        return [(r, p, i) for p in self.policies for i, r in enumerate(p.document.rules)]


def policy_paths(root: str | Path) -> tuple[list[Path], list[Path]]:
    """``(top-level YAML files, YAML files under tests/)``, sorted; hidden names skipped."""
    base = Path(root)
    if base.is_file():
        return [base], []
    top = sorted(
        p
        for p in base.iterdir()
        if not p.name.startswith(".") and p.suffix in _SUFFIXES and p.is_file()
    )
    tests_dir = base / "tests"
    nested: list[Path] = []
    if tests_dir.is_dir():
        nested = sorted(
            p
            for p in tests_dir.rglob("*")
            if p.suffix in _SUFFIXES
            and p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(tests_dir).parts)
        )
    return top, nested


def _validation_issues(exc: ValidationError, doc: YamlDocument, name: str) -> list[PolicyIssue]:
    out = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        field = ".".join(str(p) for p in loc) or "(root)"
        code, msg = "schema", f"{field}: {err['msg']}"
        if err["type"] == "literal_error" and "categories" in loc:
            code, msg = "unknown-tag", f"{field}: unknown taxonomy tag {err['input']!r}"
        out.append(PolicyIssue("error", code, msg, name, doc.line_of(loc)))
    return out


def _read(path: Path, name: str) -> tuple[str, YamlDocument] | PolicyIssue:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return PolicyIssue("error", "read", f"cannot read: {exc}", name)
    try:
        return text, parse_yaml(text)
    except YamlError as exc:
        return PolicyIssue("error", "yaml", exc.message, name, exc.line)


def load_policy_dir(
    root: str | Path, *, with_tests: bool = True
) -> tuple[PolicySet | None, list[PolicyIssue]]:
    """Load everything under ``root``; the set is ``None`` when there are errors.

    Issues are returned either way (errors make the set ``None``).
    """
    base = Path(root)
    if not base.exists():
        return None, [PolicyIssue("error", "read", "no such file or directory", str(root))]
    top, nested = policy_paths(base)
    issues: list[PolicyIssue] = []
    policies: list[LoadedPolicy] = []
    tests: list[LoadedTests] = []
    for path in [*top, *(nested if with_tests else [])]:
        name = str(path)
        got = _read(path, name)
        if isinstance(got, PolicyIssue):
            issues.append(got)
            continue
        text, doc = got
        kind = doc.data.get("kind") if isinstance(doc.data, dict) else None
        try:
            if kind == "PolicyTests":
                if with_tests:
                    tests.append(LoadedTests(name, PolicyTestsFile.model_validate(doc.data), doc))
            elif kind == "Policy" and path in top:
                digest = hashlib.sha256(text.encode()).hexdigest()
                policies.append(
                    LoadedPolicy(name, digest, PolicyFile.model_validate(doc.data), doc)
                )
            else:
                msg = "kind must be Policy or PolicyTests (tests/ holds only PolicyTests)"
                issues.append(PolicyIssue("error", "schema", msg, name, doc.line_of(["kind"])))
        except ValidationError as exc:
            issues.extend(_validation_issues(exc, doc, name))
    issues.extend(_duplicate_ids(policies))
    if any(i.severity == "error" for i in issues):
        return None, issues
    return PolicySet(str(root), tuple(policies), tuple(tests), _revision(policies)), issues


def _duplicate_ids(policies: Sequence[LoadedPolicy]) -> list[PolicyIssue]:
    seen: dict[str, str] = {}
    out = []
    for pol in policies:
        for i, rule in enumerate(pol.document.rules):
            where = f"{pol.path}:{pol.rule_line(i)}"
            if rule.id in seen:
                out.append(
                    PolicyIssue(
                        "error",
                        "duplicate-id",
                        f"rule id {rule.id!r} is also defined at {seen[rule.id]}",
                        pol.path,
                        pol.rule_line(i, "id"),
                        rule.id,
                    )
                )
            else:
                seen[rule.id] = where
    return out


def _revision(policies: Sequence[LoadedPolicy]) -> PolicyRevision:
    h = hashlib.sha256()
    for pol in sorted(policies, key=lambda p: Path(p.path).name):
        h.update(f"{Path(pol.path).name}\0{pol.sha256}\n".encode())
    versions = tuple((p.document.metadata.name, p.document.metadata.version) for p in policies)
    return PolicyRevision(h.hexdigest(), versions)


def load_policy_set(root: str | Path, *, with_tests: bool = False) -> PolicySet:
    """Load ``root`` or raise :class:`PolicyLoadError` listing every error."""
    policy_set, issues = load_policy_dir(root, with_tests=with_tests)
    if policy_set is None:
        raise PolicyLoadError([i for i in issues if i.severity == "error"])
    return policy_set
