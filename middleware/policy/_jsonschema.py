"""The JSON Schema of policy and policy-test files, generated from the pydantic models.

Committed as ``policies/tollgate-policy.schema.json`` so editors (e.g. the
YAML language server: ``# yaml-language-server: $schema=...``) validate and
autocomplete; a test fails when the committed file is stale.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from middleware.policy._cases import PolicyTestsFile
from middleware.policy._schema import PolicyFile

__all__ = ["SCHEMA_FILE", "policy_json_schema", "render_schema"]

SCHEMA_FILE = "tollgate-policy.schema.json"

_Document = Annotated[PolicyFile | PolicyTestsFile, Field(discriminator="kind")]


def policy_json_schema() -> dict[str, Any]:
    """The schema of one file: a ``Policy`` or a ``PolicyTests`` document."""
    schema = TypeAdapter(_Document).json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://tollgate.dev/schemas/tollgate-policy.schema.json",
        "title": "Tollgate policy or policy-test file",
        **schema,
    }


def render_schema() -> str:
    """The schema as committed: sorted keys, two-space indent, final newline."""
    return json.dumps(policy_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
