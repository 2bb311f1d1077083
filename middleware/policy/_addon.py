"""Enforcement in the proxy: the policy addon.

``request``: evaluate the prompt before the upstream call -- block (the
upstream never sees the request), redact (rewrite the forwarded body through
the adapter), cap the reasoning budget, flag or allow. ``response``:
evaluate a non-streamed response before the client sees it -- block or
redact. Every request gets a decision id (header ``x-tollgate-decision-id``,
errors included) and a :class:`PolicyRecord` in ``ctx.state["policy"]``.
Streams are screened by the stream screener, which calls the same engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from middleware import metrics
from middleware._context import RequestContext
from middleware.adapters import REASONING_LEVELS, Segment
from middleware.addons import Addon
from middleware.config import Config
from middleware.errors import ApiError
from middleware.ids import new_id
from middleware.policy._conditions import RequestFacts
from middleware.policy._decision import Decision, PolicyRecord
from middleware.policy._engine import PolicyEngine
from middleware.policy._redaction import Placeholders, apply_redactions
from middleware.policy._settings import PolicySettings
from middleware.policy._sources import FindingSource, shared_source, warm_once
from middleware.policy._store import PolicyStore

if TYPE_CHECKING:
    from aiohttp import web

    from middleware.streaming import StreamScreening

__all__ = ["DECISION_HEADER", "PolicyAddon", "PolicyScratch", "policy_addons", "request_facts"]

DECISION_HEADER = "x-tollgate-decision-id"
_SCRATCH = "policy.scratch"


@dataclass(frozen=True, slots=True)
class PolicyScratch:
    """Per-request state: the engine the request started on, its facts, placeholders."""

    engine: PolicyEngine
    facts: RequestFacts
    decision_id: str
    placeholders: Placeholders


def request_facts(ctx: RequestContext) -> RequestFacts:
    """The facts of ``ctx``; actor risk comes from ``ctx.state["actor_risk"]`` (throttle)."""
    facts = dict(ctx.facts())
    facts["actor_risk"] = ctx.state.get("actor_risk", 0.0)
    return RequestFacts.from_mapping(facts)


def policy_addons(config: Config) -> list[Addon]:
    """The policy addon and the stream screener that uses it.

    With ``policy.enabled: false`` only the stream addon remains (it still
    asks the upstream for streamed usage, for throttling).
    """
    from middleware.streaming import StreamAddon

    if not PolicySettings.from_mapping(config.policy).enabled:
        return [StreamAddon(_no_screening)]
    policy = PolicyAddon.from_config(config)
    return [policy, StreamAddon(policy.stream_screening)]


async def _no_screening(ctx: RequestContext) -> StreamScreening | None:
    return None


class PolicyAddon(Addon):
    """Evaluates and enforces the policy set; reloads it (watcher, SIGHUP, admin)."""

    name = "policy"

    def __init__(
        self,
        settings: PolicySettings,
        source: FindingSource,
        *,
        warm: bool = False,
    ) -> None:
        self.settings = settings
        self.source = source
        self.store = PolicyStore(settings.dir, source)
        self._warm = warm
        self._watcher: asyncio.Task[None] | None = None

    @classmethod
    def from_config(cls, config: Config) -> PolicyAddon:
        """Build from ``config.policy``; detectors from ``config.detectors``, shared."""
        settings = PolicySettings.from_mapping(config.policy)
        return cls(settings, shared_source(config.detectors), warm=True)

    # -- lifecycle -------------------------------------------------------------

    async def startup(self) -> None:
        """Warm the detectors, load the policy (fails start-up if invalid), start the watcher."""
        if self._warm:
            await asyncio.to_thread(warm_once, self.source)
        await self.store.reload()
        if not self.store.loaded:
            raise RuntimeError(f"cannot load policies: {self.store.status().last_error}")
        if self.settings.reload_interval_s > 0:
            self._watcher = asyncio.create_task(
                self.store.watch(self.settings.reload_interval_s), name="policy-watcher"
            )

    async def shutdown(self) -> None:
        """Stop the watcher (detectors are shared; they close at process exit)."""
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None

    async def reload(self) -> None:
        """Reload now (SIGHUP); an invalid set keeps the last good one serving."""
        await self.store.reload()

    def health(self) -> dict[str, Any]:
        """Ready once a policy set serves; reports the revision and last error."""
        status = self.store.status()
        return {"ok": self.store.loaded, "revision": status.revision,
                "last_error": status.last_error}  # fmt: skip

    # -- hooks -------------------------------------------------------------------

    async def request(self, ctx: RequestContext) -> None:
        """Screen the prompt; enforce before anything is forwarded."""
        engine = self.store.engine
        decision_id = new_id()
        facts = request_facts(ctx)
        scratch = PolicyScratch(engine, facts, decision_id, Placeholders())
        ctx.state[_SCRATCH] = scratch
        ctx.response_headers[DECISION_HEADER] = decision_id
        record = PolicyRecord(decision_id, engine.revision)
        ctx.state["policy"] = record
        if ctx.parsed is None or ctx.adapter is None:
            return
        decision = await self._evaluate(scratch, ctx.parsed.segments, "input")
        ctx.state["policy"] = record = dataclasses.replace(record, input=decision)
        ctx.decision = record.action
        if decision.action == "block":
            raise self.block_error(decision, decision_id, "Request")
        body = ctx.body
        if decision.redactions:
            body = ctx.adapter.rebuild(body, _replacements(ctx.parsed.segments, decision, scratch))
        cap = decision.cap_level
        if cap is not None and _above(ctx.parsed.reasoning_budget, cap):
            body = ctx.adapter.set_reasoning_budget(body, cap)
            ctx.parsed = dataclasses.replace(ctx.parsed, reasoning_budget=cap)
        if body is not ctx.body:
            ctx.body = body

    async def response(self, ctx: RequestContext, body: Any) -> Any:
        """Screen a non-streamed response; block or redact before the client sees it."""
        scratch = ctx.state.get(_SCRATCH)
        if not isinstance(scratch, PolicyScratch) or ctx.adapter is None:
            return body
        segments = ctx.adapter.response_segments(body)
        decision = await self._evaluate(scratch, segments, "output")
        record = dataclasses.replace(ctx.state["policy"], output=decision)
        ctx.state["policy"] = record
        ctx.decision = record.action
        if decision.action == "block":
            raise self.block_error(decision, scratch.decision_id, "Response")
        if decision.redactions:
            return ctx.adapter.rebuild(body, _replacements(segments, decision, scratch))
        return body

    async def stream_screening(self, ctx: RequestContext) -> StreamScreening | None:
        """The screens for a streamed response (``StreamAddon`` factory)."""
        scratch = ctx.state.get(_SCRATCH)
        if not isinstance(scratch, PolicyScratch):
            return None
        from middleware.policy._stream import PolicyStreamScreening

        return PolicyStreamScreening(ctx, self, scratch, self.settings.stream)

    # -- helpers -------------------------------------------------------------------

    async def _evaluate(
        self, scratch: PolicyScratch, segments: Sequence[Segment], direction: str
    ) -> Decision:
        started = time.perf_counter()
        decision = await scratch.engine.evaluate(segments, direction, scratch.facts)
        metrics.POLICY_EVALUATION_DURATION.labels(direction).observe(time.perf_counter() - started)
        metrics.POLICY_DECISIONS.labels(direction, decision.action).inc()
        for hit in (*decision.matches, *decision.monitored):
            category = hit.categories[0] if hit.categories else ""
            metrics.POLICY_RULE_MATCHES.labels(
                hit.rule_id, hit.action, hit.mode, direction, category
            ).inc()
        return decision

    def block_error(self, decision: Decision, decision_id: str, what: str) -> ApiError:
        """The client's error for a block of ``decision`` (``what``: "Request" or "Response").

        Names the categories and the decision id; rule ids only with
        ``expose_rule_ids``.
        """
        categories = list(decision.categories)
        extra: dict[str, Any] = {"decision_id": decision_id, "categories": categories}
        message = (
            f"{what} blocked by content policy ({', '.join(categories) or 'policy'}). "
            f"Decision id: {decision_id}."
        )
        if self.settings.expose_rule_ids:
            ids = [h.rule_id for h in decision.matches if h.action == "block"]
            extra["rule_ids"] = ids
            message = message[:-1] + f"; rules: {', '.join(ids)}."
        return ApiError(
            self.settings.block_status,
            message,
            type="invalid_request_error",
            code="content_policy_violation",
            extra=extra,
        )

    def admin_routes(self) -> list[web.RouteDef]:
        """``GET /policy`` (status) and ``POST /policy/reload`` on the admin port."""
        from aiohttp import web

        async def status(_: web.Request) -> web.Response:
            return web.json_response(self.store.status().to_dict())

        async def reload(_: web.Request) -> web.Response:
            outcome = await self.store.reload()
            body = {"result": outcome, **self.store.status().to_dict()}
            return web.json_response(body, status=200 if outcome != "failure" else 422)

        return [web.get("/policy", status), web.post("/policy/reload", reload)]


def _above(current: str | None, cap: str) -> bool:
    """Whether ``current`` exceeds ``cap`` (an unset budget counts as above)."""
    if current not in REASONING_LEVELS:
        return True
    return REASONING_LEVELS.index(current) > REASONING_LEVELS.index(cap)


def _replacements(
    segments: Sequence[Segment], decision: Decision, scratch: PolicyScratch
) -> dict[tuple[str | int, ...], str]:
    out = {}
    for index, spans in decision.redactions.items():
        seg = segments[index]
        out[seg.path] = apply_redactions(seg.text, spans, scratch.placeholders)
    return out
