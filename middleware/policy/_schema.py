"""The policy file format: pydantic models that validate YAML and generate the JSON Schema.

A policy file::

    apiVersion: tollgate.dev/v1
    kind: Policy
    metadata: {name: pii, version: "1.0.0", owner: security@example.com}
    rules:
      - id: pii.email.redact
        title: Redact e-mail addresses in prompts
        categories: [privacy, pii]
        directions: [input]
        when: {finding: {kind: pii.EMAIL_ADDRESS, min_score: 0.5}}
        action: redact

A condition is a mapping of one or more keys (several keys = all must hold):
``all``/``any``/``not`` compose; ``finding``, ``regex`` and ``keywords`` look
at the text; ``tenant``, ``tier``, ``route``, ``model``, ``role`` (globs),
``stream``, ``reasoning_budget`` and ``actor_risk`` look at request facts.
Every model is frozen: a loaded policy never changes.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

__all__ = [
    "API_VERSION",
    "TAXONOMY",
    "Action",
    "ActionType",
    "Condition",
    "DirectionName",
    "FindingCondition",
    "KeywordsCondition",
    "LevelCondition",
    "Metadata",
    "Mode",
    "NumberRange",
    "PolicyFile",
    "RegexCondition",
    "Rule",
    "RuleException",
    "Severity",
]

API_VERSION = "tollgate.dev/v1"

Category = Literal[
    "violent_crimes",
    "non_violent_crimes",
    "sex_related_crimes",
    "cyber_crime",
    "indiscriminate_weapons",
    "self_harm",
    "hate",
    "sexual_content",
    "child_exploitation",
    "privacy",
    "defamation",
    "intellectual_property",
    "elections",
    "specialized_advice",
    "code_interpreter_abuse",
    "prompt_injection",
    "jailbreak",
    "secrets",
    "pii",
    "obfuscation",
    "disinformation",
    "budget",
]
#: Taxonomy tags: MLCommons / Llama Guard hazard names plus Tollgate's own.
TAXONOMY: tuple[str, ...] = get_args(Category)
Severity = Literal["low", "medium", "high", "critical"]
Mode = Literal["enforce", "monitor"]
DirectionName = Literal["input", "output", "reasoning"]
ActionType = Literal["block", "redact", "cap_reasoning", "flag", "allow"]
Level = Literal["low", "medium", "high", "maximum"]


def _as_tuple(value: Any) -> Any:
    """Let YAML authors write one string where a list is expected."""
    if isinstance(value, str):
        return (value,)
    return value


#: One glob or a list of globs (``gpt-4*``), matched case-sensitively.
Globs = Annotated[
    tuple[str, ...],
    BeforeValidator(_as_tuple, json_schema_input_type=str | list[str]),
    Field(min_length=1),
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class FindingCondition(_Model):
    """Detector findings in the segment: ``kind`` (glob), minimum score and count."""

    kind: str = Field(min_length=1, description="Finding kind or glob, e.g. pii.* ")
    min_score: float = Field(0.0, ge=0.0, le=1.0)
    min_count: int = Field(1, ge=1)


class RegexCondition(_Model):
    """Inline regular expressions over the NFKC-normalised text (invisible chars removed).

    ``label`` names the match in records and masks (``<LABEL>``).
    """

    patterns: Globs = Field(description="Python re syntax; one pattern or a list")
    ignore_case: bool = False
    label: str = Field("MATCH", pattern=r"^[A-Za-z0-9_]+$")
    min_count: int = Field(1, ge=1)


class KeywordsCondition(_Model):
    """Words or phrases, matched case- and Unicode-insensitively on word boundaries."""

    words: Globs
    label: str = Field("KEYWORD", pattern=r"^[A-Za-z0-9_]+$")
    min_count: int = Field(1, ge=1)


class NumberRange(_Model):
    """A numeric comparison; every bound given must hold."""

    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> NumberRange:
        if all(v is None for v in (self.gt, self.gte, self.lt, self.lte)):
            raise ValueError("give at least one of gt, gte, lt, lte")
        return self


def _levels(value: Any) -> Any:
    if isinstance(value, str | list | tuple):
        return {"in": _as_tuple(value)}
    return value


class LevelCondition(_Model):
    """The requested reasoning budget.

    ``in`` a list of levels (``unset``: no budget given), or ``above`` /
    ``at_least`` a level; a bare list means ``in``.
    """

    in_: tuple[Level | Literal["unset"], ...] | None = Field(None, alias="in", min_length=1)
    above: Level | None = None
    at_least: Level | None = None

    @model_validator(mode="after")
    def _one_form(self) -> LevelCondition:
        if sum(v is not None for v in (self.in_, self.above, self.at_least)) != 1:
            raise ValueError("give exactly one of in, above, at_least")
        return self


LevelSpec = Annotated[
    LevelCondition,
    BeforeValidator(
        _levels,
        json_schema_input_type=LevelCondition | Level | list[Level | Literal["unset"]],
    ),
]


class Condition(_Model):
    """A condition; several keys in one mapping must all hold."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={"minProperties": 1},
    )

    all: tuple[Condition, ...] | None = Field(None, min_length=1)
    any: tuple[Condition, ...] | None = Field(None, min_length=1)
    not_: Condition | None = Field(None, alias="not")
    finding: FindingCondition | None = None
    regex: RegexCondition | None = None
    keywords: KeywordsCondition | None = None
    tenant: Globs | None = None
    tier: Globs | None = None
    route: Globs | None = None
    model: Globs | None = None
    role: Globs | None = None
    stream: bool | None = None
    reasoning_budget: LevelSpec | None = None
    actor_risk: NumberRange | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Condition:
        if not self.model_fields_set:
            raise ValueError("a condition needs at least one key")
        return self


def _action(value: Any) -> Any:
    return {"type": value} if isinstance(value, str) else value


class Action(_Model):
    """What a rule does when it fires.

    ``redact``: ``style`` ``mask`` writes ``<KIND>`` (``<EMAIL_ADDRESS>``),
    ``placeholder`` writes a per-request numbered ``<EMAIL_ADDRESS_1>`` (the
    same value gets the same number); ``mask`` replaces with a literal text.
    ``cap_reasoning`` lowers the reasoning budget to ``level``.
    """

    type: ActionType
    level: Level | None = None
    style: Literal["mask", "placeholder"] = "mask"
    mask: str | None = Field(None, description="literal replacement; empty string deletes")

    @model_validator(mode="after")
    def _consistent(self) -> Action:
        if self.type == "cap_reasoning" and self.level is None:
            raise ValueError("cap_reasoning needs a level")
        if self.type != "cap_reasoning" and self.level is not None:
            raise ValueError("level only applies to cap_reasoning")
        if self.type != "redact" and (self.mask is not None or "style" in self.model_fields_set):
            raise ValueError("style and mask only apply to redact")
        return self


ActionSpec = Annotated[Action, BeforeValidator(_action, json_schema_input_type=Action | ActionType)]


class RuleException(_Model):
    """A scoped, expiring exemption: where every given scope matches, the rule is skipped."""

    tenant: Globs | None = None
    tier: Globs | None = None
    route: Globs | None = None
    model: Globs | None = None
    reason: str = Field(min_length=1)
    expires: dt.date = Field(description="Last day the exception applies (YYYY-MM-DD)")


class Rule(_Model):
    """One rule: identity, taxonomy, mode, directions, condition, action."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=100)
    title: str = Field(min_length=1)
    description: str = ""
    categories: tuple[Category, ...] = Field(min_length=1)
    severity: Severity = "medium"
    mode: Mode = "enforce"
    directions: tuple[DirectionName, ...] = Field(("input",), min_length=1)
    when: Condition
    action: ActionSpec
    risk_points: float = Field(0.0, ge=0.0)
    on_detector_error: Literal["open", "closed"] = Field(
        "open", description="closed: a failed detector counts as a match"
    )
    stream: Literal["hold", "cut", "audit"] = Field(
        "hold",
        description=(
            "streamed output: hold = text reaches the client only after this rule has seen "
            "it; cut = released at once, and a block ends the stream as soon as the rule "
            "sees it (for costly classifiers whose windows would delay every token); "
            "audit = released at once and screened for the record only"
        ),
    )
    exceptions: tuple[RuleException, ...] = ()


class Metadata(_Model):
    """Who owns a policy file and which version it is."""

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    description: str = ""


class PolicyFile(_Model):
    """One policy file; several compose into a ruleset with unique rule ids."""

    api_version: Literal["tollgate.dev/v1"] = Field(alias="apiVersion")
    kind: Literal["Policy"]
    metadata: Metadata
    rules: tuple[Rule, ...] = ()
