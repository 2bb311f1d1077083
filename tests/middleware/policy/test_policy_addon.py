"""The policy addon in the pipeline: block, redact, cap, monitor, records, headers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from middleware._context import ProxyRequest, RequestContext
from middleware.adapters import default_adapters
from middleware.addons import Addon
from middleware.pipeline import Pipeline
from middleware.policy import PolicyRecord
from middleware.policy._addon import DECISION_HEADER, PolicyAddon
from middleware.policy._settings import PolicySettings

RULES = """
- id: secrets.aws.block
  title: Block AWS keys in prompts
  categories: [secrets]
  when: {finding: {kind: secret.aws_access_key}}
  action: block
  risk_points: 5
- id: secrets.aws.redact-output
  title: Redact AWS keys in outputs
  categories: [secrets]
  directions: [output]
  when: {finding: {kind: "secret.*"}}
  action: redact
- id: pii.email
  title: Redact e-mail addresses
  categories: [pii]
  directions: [input, output]
  when: {finding: {kind: pii.EMAIL_ADDRESS}}
  action: {type: redact, style: placeholder}
  risk_points: 1
- id: weapons.monitor
  title: Watch weapons talk
  categories: [indiscriminate_weapons]
  mode: monitor
  when: {finding: {kind: "misuse.*"}}
  action: block
- id: budget.free
  title: Free tier reasons at medium at most
  categories: [budget]
  when: {route: muse_completions, reasoning_budget: {above: medium}}
  action: {type: cap_reasoning, level: medium}
"""


class Capture(Addon):
    """Keeps the last request context for assertions."""

    name = "capture"

    def __init__(self) -> None:
        self.ctx: RequestContext | None = None

    async def done(self, ctx: RequestContext) -> None:
        self.ctx = ctx


@pytest.fixture
async def setup(
    write_policy: Callable[..., Path], source: Any, fake_upstream: Any
) -> AsyncIterator[Callable[..., Any]]:
    addons: list[PolicyAddon] = []

    async def build(**settings: Any) -> tuple[Pipeline, Capture]:
        root = write_policy(RULES)
        addon = PolicyAddon(PolicySettings(dir=str(root), reload_interval_s=0, **settings), source)
        await addon.startup()
        addons.append(addon)
        capture = Capture()
        pipeline = Pipeline(
            adapters=default_adapters(), upstream=fake_upstream, addons=[addon, capture]
        )
        return pipeline, capture

    yield build
    for addon in addons:
        await addon.shutdown()


async def call(pipeline: Pipeline, request: ProxyRequest) -> tuple[int, dict[str, str], Any]:
    async with pipeline.exchange(request) as resp:
        return resp.status, resp.headers, json.loads(resp.body)


def chat(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": text}], **extra}


async def test_blocked_prompt_never_reaches_upstream(
    setup: Any, fake_upstream: Any, make_request: Any
) -> None:
    pipeline, capture = await setup()
    status, headers, body = await call(pipeline, make_request(chat("key AKIAABCDEFGHIJKLMNOP")))
    assert status == 400 and fake_upstream.received == []
    err = body["error"]
    assert err["code"] == "content_policy_violation" and err["type"] == "invalid_request_error"
    assert err["categories"] == ["secrets"]
    assert err["decision_id"] == headers[DECISION_HEADER]
    assert headers[DECISION_HEADER] in err["message"] and "secrets" in err["message"]
    assert "secrets.aws.block" not in json.dumps(body)
    assert capture.ctx is not None and capture.ctx.decision == "block"


async def test_rule_ids_and_status_are_configurable(setup: Any, make_request: Any) -> None:
    pipeline, _ = await setup(expose_rule_ids=True, block_status=403)
    status, _, body = await call(pipeline, make_request(chat("AKIAABCDEFGHIJKLMNOP")))
    assert status == 403
    assert body["error"]["rule_ids"] == ["secrets.aws.block"]
    assert "secrets.aws.block" in body["error"]["message"]


async def test_redaction_rewrites_the_forwarded_body(
    setup: Any, fake_upstream: Any, make_request: Any
) -> None:
    pipeline, capture = await setup()
    status, headers, _ = await call(pipeline, make_request(chat("I am jo@example.com, hi")))
    assert status == 200 and DECISION_HEADER in headers
    assert fake_upstream.received[0]["messages"][0]["content"] == "I am <EMAIL_ADDRESS_1>, hi"
    assert capture.ctx is not None and capture.ctx.decision == "redact"


async def test_output_redaction_reuses_the_requests_placeholders(
    setup: Any, fake_upstream: Any, make_request: Any
) -> None:
    pipeline, _ = await setup()
    fake_upstream.reply = "Write to bo@example.org or jo@example.com; key AKIAABCDEFGHIJKLMNOP"
    _, _, body = await call(pipeline, make_request(chat("I am jo@example.com")))
    assert body["choices"][0]["message"]["content"] == (
        "Write to <EMAIL_ADDRESS_2> or <EMAIL_ADDRESS_1>; key <AWS_ACCESS_KEY>"
    )


async def test_output_block_keeps_the_text_from_the_client(
    setup: Any, fake_upstream: Any, write_policy: Callable[..., Path], make_request: Any
) -> None:
    pipeline, capture = await setup()
    fake_upstream.reply = "Sure: here is how to make a nerve agent"
    addon = pipeline.addons[0]
    assert isinstance(addon, PolicyAddon)
    write_policy(RULES.replace("mode: monitor", "directions: [output]"))
    await addon.reload()
    status, headers, body = await call(pipeline, make_request(chat("hi")))
    assert status == 400 and "nerve" not in json.dumps(body)
    assert body["error"]["decision_id"] == headers[DECISION_HEADER]
    assert body["error"]["message"].startswith("Response blocked")
    assert capture.ctx is not None and capture.ctx.decision == "block"


async def test_cap_reasoning_lowers_the_forwarded_budget(
    setup: Any, fake_upstream: Any, make_request: Any
) -> None:
    pipeline, capture = await setup()
    req = make_request(chat("think hard", reasoning_budget="maximum"), "/v1/muse/completions")
    status, _, _ = await call(pipeline, req)
    assert status == 200 and fake_upstream.received[0]["reasoning_budget"] == "medium"
    assert capture.ctx is not None and capture.ctx.parsed is not None
    assert capture.ctx.parsed.reasoning_budget == "medium"
    assert capture.ctx.decision == "cap_reasoning"


async def test_monitor_rule_records_would_have_and_forwards_unchanged(
    setup: Any, fake_upstream: Any, make_request: Any
) -> None:
    pipeline, capture = await setup()
    status, _, _ = await call(pipeline, make_request(chat("what is a nerve agent")))
    assert status == 200 and fake_upstream.received[0]["messages"][0]["content"].endswith("agent")
    assert capture.ctx is not None
    record = capture.ctx.state["policy"]
    assert isinstance(record, PolicyRecord)
    assert (record.action, record.would_have) == ("allow", "block")
    assert record.input is not None and record.input.monitored[0].rule_id == "weapons.monitor"


async def test_record_carries_revision_rules_and_risk_points(setup: Any, make_request: Any) -> None:
    pipeline, capture = await setup()
    await call(pipeline, make_request(chat("jo@example.com AKIAABCDEFGHIJKLMNOP")))
    assert capture.ctx is not None
    record = capture.ctx.state["policy"]
    assert record.decision_id == capture.ctx.response_headers[DECISION_HEADER]
    assert record.risk_points == 6
    assert dict(record.revision.versions) == {"test": "1"}
    data = record.to_dict()
    assert {r["id"] for r in data["input"]["rules"]} == {"secrets.aws.block", "pii.email"}
    assert "jo@example.com" not in json.dumps(data)


async def test_actor_risk_fact_comes_from_ctx_state(
    write_policy: Callable[..., Path], source: Any, fake_upstream: Any, make_request: Any
) -> None:
    root = write_policy(
        """
        - id: risky
          title: t
          categories: [jailbreak]
          when: {actor_risk: {gte: 10}}
          action: block
        """
    )
    addon = PolicyAddon(PolicySettings(dir=str(root), reload_interval_s=0), source)
    await addon.startup()

    class Risk(Addon):
        async def request(self, ctx: RequestContext) -> None:
            ctx.state["actor_risk"] = 12.0

    pipeline = Pipeline(adapters=default_adapters(), upstream=fake_upstream, addons=[Risk(), addon])
    status, _, _ = await call(pipeline, make_request(chat("hello")))
    await addon.shutdown()
    assert status == 400
