"""The policy test file format (``kind: PolicyTests``), kept beside the policies.

A test case gives one input -- a ``text``, a full ``request`` body or a full
``response`` body -- with request facts, and the expected outcome::

    apiVersion: tollgate.dev/v1
    kind: PolicyTests
    metadata: {name: pii-tests}
    tests:
      - name: e-mail in a prompt is redacted
        text: "write to jane@example.com"
        facts: {tier: free}
        expect: {decision: redact, rules: [pii.email.redact], redacted: "write to <EMAIL_ADDRESS>"}
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from middleware.policy._schema import ActionType, DirectionName, Globs, Level, _Model

__all__ = ["Expectation", "PolicyTestsFile", "TestCase", "TestFacts", "TestsMetadata"]


class TestFacts(_Model):
    """Request facts for a test case (defaults: no tenant/tier, route openai_chat)."""

    __test__ = False  # not a pytest class

    tenant: str | None = None
    tier: str | None = None
    route: str = "openai_chat"
    model: str | None = None
    stream: bool = False
    reasoning_budget: Level | None = None
    actor_risk: float = 0.0
    role: str = Field("user", description="role of a plain text input")


class Expectation(_Model):
    """Expected outcome: the final decision and rules that must (not) fire.

    ``rules`` must all be among the fired rules (enforce or monitor);
    ``absent_rules`` must not fire; ``redacted`` is the expected text after
    redaction (text inputs only); ``would_have`` is the monitor outcome.
    """

    decision: ActionType
    rules: Globs | None = None
    absent_rules: Globs | None = None
    redacted: str | None = None
    reasoning_budget: Level | None = None
    would_have: ActionType | None = None


class TestCase(_Model):
    """One input and its expected outcome."""

    __test__ = False

    name: str = Field(min_length=1)
    text: str | None = None
    request: dict[str, Any] | None = None
    response: dict[str, Any] | None = None
    direction: DirectionName | None = None
    facts: TestFacts = TestFacts()
    expect: Expectation

    @model_validator(mode="after")
    def _one_input(self) -> TestCase:
        given = [n for n in ("text", "request", "response") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of text, request, response")
        return self

    @property
    def effective_direction(self) -> DirectionName:
        """``direction`` or the default: output for a response, input otherwise."""
        if self.direction is not None:
            return self.direction
        return "output" if self.response is not None else "input"


class TestsMetadata(_Model):
    """Names a test file."""

    __test__ = False

    name: str = Field(min_length=1)
    description: str = ""


class PolicyTestsFile(_Model):
    """A file of test cases for the policies in the same directory tree."""

    __test__ = False

    api_version: Literal["tollgate.dev/v1"] = Field(alias="apiVersion")
    kind: Literal["PolicyTests"]
    metadata: TestsMetadata
    tests: tuple[TestCase, ...] = Field(min_length=1)
